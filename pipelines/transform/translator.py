"""How dbt nodes become Dagster assets: one method per decision."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

DBT_LAYERS = ("staging", "intermediate", "marts")


class HubDbtTranslator(DagsterDbtTranslator):
    """Joins dbt sources to the ingest assets and groups models by their dbt layer; dbt tests,
    a raw table's `_pk` test on a source too, are asset checks (on the ingest asset for a source)."""

    def __init__(self) -> None:
        super().__init__(
            settings=DagsterDbtTranslatorSettings(enable_asset_checks=True, enable_source_tests_as_checks=True)
        )

    def get_asset_check_spec(
        self, asset_spec: dg.AssetSpec, manifest: Mapping[str, Any], unique_id: str, project: Any
    ) -> dg.AssetCheckSpec | None:
        """A test on a source checks its ingest asset without blocking the streams after it (ShipStation
        tracking after labels): as a blocking check run by the dbt step it would put the dbt step both
        before and after that stream, and Dagster would split the build into several dbt runs. A failing
        one still stops the build in dbt, so nothing built on the table is published."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        parents = manifest["nodes"][unique_id]["depends_on"]["nodes"]
        if spec is None or not parents or not all(parent.startswith("source.") for parent in parents):
            return spec
        return spec._replace(blocking=False)

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
