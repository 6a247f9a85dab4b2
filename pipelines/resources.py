"""Resources: where runs get their configuration, read when a run starts, never at import.

Their fields are generated from the settings declarations (pipelines/settings.py). When the
definitions load, each field whose variable is set is fed by `dg.EnvVar`, so the UI shows which
variable holds it and Dagster reads it when a run starts; a field left unset is read from its
`HUB_*` variable when the run asks (its default when that is unset too). Tests set fields
instead of touching os.environ.
"""

from collections.abc import Mapping

import dagster as dg

from connectors.config import ConnectorSettings, HubConfig, HubSettingsModel
from pipelines.checks.thresholds import ThresholdsResource
from pipelines.settings import ThresholdSettings, settings_resource
from pipelines.transform.spark_dbt import hub_dbt

_HubConfigFields = settings_resource(ConnectorSettings, "_HubConfigFields", "The connectors' settings.")


class HubConfigResource(_HubConfigFields):  # type: ignore[misc, valid-type]
    """The connectors' settings (see README, Configuration): fields override their `HUB_*` variables."""

    def load(self) -> HubConfig:
        """Validate the settings now; a bad value raises a SettingsError naming every variable at fault."""
        return HubConfig.from_env(self.settings_env())


def fed_by_env(resource: type[dg.ConfigurableResource], settings: type[HubSettingsModel], env: Mapping[str, str]) -> dg.ConfigurableResource:
    """`resource` with a `dg.EnvVar` in each field whose variable `env` sets (secrets are never fields)."""
    fed = {v.field_name: dg.EnvVar(v.name) for v in settings.variables() if not v.secret and env.get(v.name)}
    return resource(**fed)


def hub_resources(env: Mapping[str, str] | None = None) -> dict[str, object]:
    """Every resource the hub's assets ask for, by name; the fields whose variables `env` sets are fed
    by `dg.EnvVar` (none without `env`)."""
    env = {} if env is None else env
    return {
        "hub": fed_by_env(HubConfigResource, ConnectorSettings, env),
        "thresholds": fed_by_env(ThresholdsResource, ThresholdSettings, env),
        "dbt": hub_dbt(),  # DuckDB, or Spark when HUB_DBT_TARGET=spark (read when a run starts)
    }
