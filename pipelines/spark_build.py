"""`python -m pipelines spark-build`: the marts built on Apache Spark, published as the nightly does.

dbt runs in this process with the `spark` target (profiles.yml: dbt-spark's session method, a
local Spark; Spark state under `<data dir>/spark`), reading the raw layer from the Parquet lake
(connectors/lake.py). The built marts go through Parquet into a DuckDB file, from which
`publish_marts` and `export_parquet` write the read-only marts file and the Parquet copies BI reads,
exactly as after a DuckDB build. Needs `pyspark` and `dbt-spark[session]` (the `spark` extra).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb

from connectors import lake
from connectors.streams import STREAMS
from pipelines.publish.marts_file import Relation, Snapshot, publish_marts
from pipelines.publish.parquet import export_parquet

log = logging.getLogger(__name__)

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
SPARK_DIR_NAME = "spark"  # Spark's tables, metastore and the build's hand-over to DuckDB
LAKE_DIR_NAME = "lake"  # where the raw layer is exported when HUB_LAKE_DIR is not set
BUCKET_COLUMN = "_hub_bucket"  # the partition column of incremental tables on Spark (macros/spark/incremental.sql)


class SparkBuildError(RuntimeError):
    """The dbt build on Spark failed; the message names each failed node."""


def export_lake(warehouse: Path, lake_dir: Path) -> Path:
    """The whole current raw layer of `warehouse` as one Parquet file per stream (compacted)."""
    lake.export_raw_layer(warehouse, lake_dir, list(STREAMS))
    return lake_dir


def run_dbt_on_spark(data_dir: Path, lake_dir: Path, dbt_vars: Mapping[str, str], full_refresh: bool = False,
                     select: Sequence[str] = ()) -> Path:
    """`dbt build` (data tests, unit tests left to `make test`) on the spark target; its target path."""
    from dbt.cli.main import dbtRunner

    os.environ["HUB_DATA_DIR"] = str(data_dir)
    os.environ["HUB_LAKE_DIR"] = str(lake_dir)
    target_path = data_dir / "dbt_target_spark"
    args = [
        "build", "--target", "spark", "--exclude-resource-type", "unit_test",
        "--vars", json.dumps(dict(dbt_vars), sort_keys=True),
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(target_path), "--log-path", str(data_dir / "dbt_logs"),
        *(["--full-refresh"] if full_refresh else []), *(["--select", *select] if select else []),
    ]
    result = dbtRunner().invoke(args)
    if not result.success:
        failed = [
            f"{r.node.unique_id}: {r.status} {r.message}"
            for r in getattr(result.result, "results", None) or []
            if str(r.status) not in ("success", "pass", "skipped")
        ]
        raise SparkBuildError(f"dbt build on Spark failed: {result.exception or ''} {failed}")
    return target_path


def mart_names(target_path: Path) -> list[str]:
    """The tables of `models/marts`, from the manifest the build wrote."""
    manifest = json.loads((target_path / "manifest.json").read_text())
    return sorted(
        node["alias"] or node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1:2] == ["marts"]
    )


def copy_marts_to_duckdb(names: Sequence[str], handover: Path, duckdb_file: Path) -> None:
    """Each mart written by Spark as Parquet under `handover`, then read into `duckdb_file` (schema main)."""
    from pyspark.sql import SparkSession

    # the session dbt-spark started in this process (a thread's active session is not ours: the default one)
    spark = SparkSession.builder.getOrCreate()
    shutil.rmtree(handover, ignore_errors=True)
    duckdb_file.unlink(missing_ok=True)
    with duckdb.connect(str(duckdb_file)) as con:
        for name in names:
            frame = spark.table(f"main.{name}")
            if BUCKET_COLUMN in frame.columns:
                frame = frame.drop(BUCKET_COLUMN)
            frame.write.mode("overwrite").parquet(str(handover / name))
            files = str(handover / name / "*.parquet").replace("'", "''")
            con.execute(f'create table main."{name}" as select * from read_parquet(\'{files}\')')


def spark_build(data_dir: Path, publish_dir: Path, dbt_vars: Mapping[str, str], run_id: str,
                lake_dir: Path | None = None, full_refresh: bool = False) -> Snapshot:
    """Build the marts on Spark and publish them under `publish_dir` (marts.duckdb, parquet/).

    Without `lake_dir` (HUB_LAKE_DIR unset, no loads wrote a lake) the warehouse's raw layer is
    exported first to `<data dir>/lake`.
    """
    from pipelines.publish.assets import MARTS_FILE_NAME, PARQUET_DIR_NAME

    if lake_dir is None:
        lake_dir = export_lake(data_dir / "warehouse.duckdb", data_dir / LAKE_DIR_NAME)
    target_path = run_dbt_on_spark(data_dir, lake_dir, dbt_vars, full_refresh)
    spark_dir = data_dir / SPARK_DIR_NAME
    built = spark_dir / "built_marts.duckdb"
    names = mart_names(target_path)
    copy_marts_to_duckdb(names, spark_dir / "handover", built)
    marts_file = publish_dir / MARTS_FILE_NAME
    snapshot = publish_marts(built, marts_file, [Relation("main", name) for name in names], run_id,
                             dbt_vars["reporting_currency"])
    export_parquet(marts_file, publish_dir / PARQUET_DIR_NAME)
    log.info("published %d marts built on Spark to %s", len(names), marts_file)
    return snapshot
