"""Resources: where runs get their configuration, read when a run starts, never at import.

Their fields are generated from the settings declarations (pipelines/settings.py): each is
optional, and one left unset is read from its `HUB_*` variable when the run asks, so a changed
variable needs no reload of the code, and tests set fields without touching os.environ.
"""

from connectors.config import ConnectorSettings, HubConfig
from pipelines.checks.thresholds import ThresholdsResource
from pipelines.settings import settings_resource
from pipelines.transform.project import dbt_cli

_HubConfigFields = settings_resource(ConnectorSettings, "_HubConfigFields", "The connectors' settings.")


class HubConfigResource(_HubConfigFields):  # type: ignore[misc, valid-type]
    """The connectors' settings (see README, Configuration): fields override their `HUB_*` variables."""

    def load(self) -> HubConfig:
        """Validate the settings now; a bad value raises a SettingsError naming every variable at fault."""
        return HubConfig.from_env(self.settings_env())


def hub_resources() -> dict[str, object]:
    """Every resource the hub's assets ask for, by name."""
    return {"hub": HubConfigResource(), "thresholds": ThresholdsResource(), "dbt": dbt_cli()}
