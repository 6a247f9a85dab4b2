"""The publish asset: the marts BI reads, refreshed only after a good build."""

import json
from pathlib import Path

import dagster as dg

from pipelines.publish.marts_file import Relation, Snapshot, publish_marts
from pipelines.publish.parquet import export_parquet
from pipelines.publish.preview import sales_vs_fulfilment_preview
from pipelines.report.page import REPORT_FILE, write_report
from pipelines.resources import HubConfigResource
from pipelines.transform.project import dbt_project, dbt_vars

MARTS_FILE_NAME = "marts.duckdb"
PARQUET_DIR_NAME = "parquet"
REPORT_DIR_NAME = "report"


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


def publish_all(
    data_dir: Path, warehouse: Path, relations: list[Relation], run_id: str, reporting_currency: str
) -> Snapshot:
    """The marts file, then Parquet and the report from it (so all three show one snapshot), under `data_dir`."""
    marts_file = data_dir / MARTS_FILE_NAME
    snapshot = publish_marts(warehouse, marts_file, relations, run_id=run_id, reporting_currency=reporting_currency)
    export_parquet(marts_file, data_dir / PARQUET_DIR_NAME)
    write_report(marts_file, data_dir / REPORT_DIR_NAME)
    return snapshot


def build_publish_asset() -> dg.AssetsDefinition:
    """`published_marts`: depends on every mart model, so it runs after the whole build."""
    relations = mart_relations()

    @dg.asset(
        key="published_marts",
        group_name="serving",
        kinds={"duckdb", "parquet"},
        deps=[key for key, _ in relations],
        owners=["team:data"],
        pool="warehouse",
        description=(
            "The marts copied into their own DuckDB file for BI (`marts.duckdb`, read-only, swapped in "
            "atomically), exported to Parquet (`parquet/<table>/data.parquet`), and the nightly HTML "
            "report (`report/index.html`). Runs only when every upstream model and its blocking checks passed."
        ),
    )
    def published_marts(context: dg.AssetExecutionContext, hub: HubConfigResource) -> dg.MaterializeResult:
        config = hub.load()
        snapshot = publish_all(
            config.data_dir, config.warehouse_path, [relation for _, relation in relations],
            run_id=context.run.run_id, reporting_currency=dbt_vars(config.env)["reporting_currency"],
        )
        marts_file, parquet_dir = config.data_dir / MARTS_FILE_NAME, config.data_dir / PARQUET_DIR_NAME
        report = config.data_dir / REPORT_DIR_NAME / REPORT_FILE
        context.log.info(f"published {len(snapshot.row_counts)} marts of run {snapshot.run_id} to {marts_file}")
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(marts_file)),
                "parquet_dir": dg.MetadataValue.path(str(parquet_dir)),
                # A link for the UI, and the plain path for browsers that refuse file:// links from http pages.
                "report": dg.MetadataValue.url(report.as_uri()),
                "report_path": dg.MetadataValue.path(str(report)),
                "snapshot_run_id": dg.MetadataValue.text(snapshot.run_id),
                "published_at": dg.MetadataValue.text(f"{snapshot.published_at.isoformat()}Z"),
                "as_of": dg.MetadataValue.text(snapshot.as_of.isoformat() if snapshot.as_of else "unknown"),
                "reporting_currency": dg.MetadataValue.text(snapshot.reporting_currency),
                "row_counts": dg.MetadataValue.json(snapshot.row_counts),
                "total_rows": dg.MetadataValue.int(sum(snapshot.row_counts.values())),
                "preview": dg.MetadataValue.md(sales_vs_fulfilment_preview(marts_file)),
            }
        )

    return published_marts
