"""Resources: where runs get their configuration, read when a run starts, never at import."""

import dagster as dg

from connectors.config import HubConfig
from pipelines.checks.thresholds import ThresholdsResource
from pipelines.transform.project import dbt_cli


class HubConfigResource(dg.ConfigurableResource):
    """The connectors' settings from `HUB_*` environment variables (see README)."""

    def load(self) -> HubConfig:
        """Read the environment now, so a changed variable needs no reload of the code."""
        return HubConfig.from_env()


def hub_resources() -> dict[str, object]:
    """Every resource the hub's assets ask for, by name."""
    return {"hub": HubConfigResource(), "thresholds": ThresholdsResource(), "dbt": dbt_cli()}
