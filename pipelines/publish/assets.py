"""The publish asset: the marts BI reads, refreshed only after a good build."""

import json

import dagster as dg

from pipelines.publish.marts_file import Relation, publish_marts
from pipelines.resources import HubConfigResource
from pipelines.transform.project import dbt_project


def mart_relations() -> list[tuple[dg.AssetKey, Relation]]:
    """The models under `models/marts`, read from the dbt manifest: key and table of each."""
    manifest = json.loads(dbt_project.manifest_path.read_text())
    marts = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1:2] == ["marts"]
    ]
    return sorted(
        (
            (dg.AssetKey([node["name"]]), Relation(schema=node["schema"], name=node["alias"] or node["name"]))
            for node in marts
        ),
        key=lambda pair: pair[1].name,
    )


def build_publish_asset() -> dg.AssetsDefinition:
    """`published_marts`: depends on every mart model, so it runs after the whole build."""
    relations = mart_relations()

    @dg.asset(
        key="published_marts",
        group_name="serving",
        kinds={"duckdb"},
        deps=[key for key, _ in relations],
        owners=["team:data"],
        pool="warehouse",
        description="The marts copied into their own DuckDB file for BI (`marts.duckdb`), swapped in atomically.",
    )
    def published_marts(context: dg.AssetExecutionContext, hub: HubConfigResource) -> dg.MaterializeResult:
        config = hub.load()
        marts_file = config.data_dir / "marts.duckdb"
        counts = publish_marts(config.warehouse_path, marts_file, [relation for _, relation in relations])
        context.log.info(f"published {len(counts)} marts to {marts_file}")
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(marts_file)),
                "row_counts": dg.MetadataValue.json(counts),
            }
        )

    return published_marts
