"""How dbt nodes become Dagster assets: one method per decision."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

DBT_LAYERS = ("staging", "intermediate", "marts")


class HubDbtTranslator(DagsterDbtTranslator):
    """Joins dbt sources to the ingest assets and groups models by their dbt layer."""

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        """A source `hubspot.contacts` is the ingest asset `hubspot/contacts`; models keep their name."""
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return dg.AssetKey([dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        """The dbt layer folder (`staging`, `intermediate`, `marts`); seeds go to `reference`."""
        fqn = dbt_resource_props.get("fqn", [])
        layer = fqn[1] if len(fqn) > 2 else None
        return layer if layer in DBT_LAYERS else "reference"

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str] | None:
        """Models without an owner in their meta belong to the data team."""
        return super().get_owners(dbt_resource_props) or ["team:data"]
