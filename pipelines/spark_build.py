"""`python -m pipelines spark-build`: the marts built on Apache Spark, published as the nightly does.

dbt runs in this process with the `spark` target (profiles.yml: dbt-spark's session method, a
local Spark; Spark state under `<data dir>/spark`), reading the raw layer from the Parquet lake
(connectors/lake.py). Spark hands the built marts over as Parquet (macros/spark/handover.sql),
`load_marts` reads them into a DuckDB file, from which `publish_marts` and `export_parquet` write
the read-only marts file and the Parquet copies BI reads, exactly as after a DuckDB build. The
Dagster nightly on Spark (HUB_DBT_TARGET=spark, pipelines/transform/spark_dbt.py) loads them with
the same `load_marts`. Needs `pyspark` and `dbt-spark[session]` (the `spark` extra).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb

from connectors import lake
from connectors.streams import configured_streams
from pipelines.publish.marts_file import Relation, Snapshot, publish_marts
from pipelines.publish.parquet import export_parquet

log = logging.getLogger(__name__)

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
SPARK_DIR_NAME = "spark"  # Spark's tables, metastore and the build's hand-over to DuckDB
LAKE_DIR_NAME = "lake"  # where the raw layer is exported when HUB_LAKE_DIR is not set


class SparkBuildError(RuntimeError):
    """The dbt build on Spark failed; the message names each failed node."""


def export_lake(warehouse: Path, lake_dir: Path) -> Path:
    """The whole current raw layer of `warehouse` as one Parquet file per stream (compacted)."""
    lake.export_raw_layer(warehouse, lake_dir, list(configured_streams()))
    return lake_dir


def run_dbt_on_spark(data_dir: Path, lake_dir: Path, dbt_vars: Mapping[str, str], full_refresh: bool = False,
                     select: Sequence[str] = (), unit_tests: bool = False, data_tests: bool = True) -> Path:
    """`dbt build` on the spark target, with its data tests and, when asked, its unit tests (which
    prove the SQL: `make test` runs them, a nightly need not); its target path."""
    from dbt.cli.main import dbtRunner

    skipped = [kind for kind, run in (("unit_test", unit_tests), ("test", data_tests)) if not run]

    os.environ["HUB_DATA_DIR"] = str(data_dir)
    os.environ["HUB_LAKE_DIR"] = str(lake_dir)
    target_path = data_dir / "dbt_target_spark"
    args = [
        "build", "--target", "spark", *(arg for kind in skipped for arg in ("--exclude-resource-type", kind)),
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


def handover_dir(data_dir: Path) -> Path:
    """Where a Spark run leaves the marts it built as Parquet (dbt_project/macros/spark/handover.sql)."""
    return data_dir / SPARK_DIR_NAME / "handover"


def load_marts(names: Sequence[str], handover: Path, duckdb_file: Path) -> None:
    """Each mart Spark handed over under `handover` into `duckdb_file` (schema main), replacing a
    table or view of that name, all in one transaction: a mart missing fails before any is replaced."""
    missing = [name for name in names if not any((handover / name).glob("*.parquet"))]
    if missing:
        raise SparkBuildError(
            f"marts {missing} have no Parquet from Spark under {handover}: no Spark build made them yet;"
            " build them on Spark (python -m pipelines spark-build) before publishing")
    with duckdb.connect(str(duckdb_file)) as con:
        kinds = dict(con.execute(
            "select table_name, table_type from information_schema.tables"
            " where table_schema = 'main' and table_catalog = current_database()").fetchall())
        con.execute("begin")
        for name in names:
            if name in kinds:
                con.execute(f'drop {"view" if kinds[name] == "VIEW" else "table"} main."{name}"')
            files = str(handover / name / "*.parquet").replace("'", "''")
            con.execute(f'create table main."{name}" as select * from read_parquet(\'{files}\')')
        con.execute("commit")


def spark_build(data_dir: Path, publish_dir: Path, dbt_vars: Mapping[str, str], run_id: str,
                lake_dir: Path | None = None, full_refresh: bool = False, unit_tests: bool = False,
                data_tests: bool = True) -> Snapshot:
    """Build the marts on Spark and publish them under `publish_dir` (marts.duckdb, parquet/).

    Without `lake_dir` (HUB_LAKE_DIR unset, no loads wrote a lake) the warehouse's raw layer is
    exported first to `<data dir>/lake`. `unit_tests` and `data_tests` say which dbt tests the build runs.
    """
    from pipelines.publish.assets import MARTS_FILE_NAME, PARQUET_DIR_NAME

    if lake_dir is None:
        lake_dir = export_lake(data_dir / "warehouse.duckdb", data_dir / LAKE_DIR_NAME)
    target_path = run_dbt_on_spark(data_dir, lake_dir, dbt_vars, full_refresh, unit_tests=unit_tests, data_tests=data_tests)
    built = data_dir / SPARK_DIR_NAME / "built_marts.duckdb"
    built.unlink(missing_ok=True)
    names = mart_names(target_path)
    load_marts(names, handover_dir(data_dir), built)
    marts_file = publish_dir / MARTS_FILE_NAME
    snapshot = publish_marts(built, marts_file, [Relation("main", name) for name in names], run_id,
                             dbt_vars["reporting_currency"])
    export_parquet(marts_file, publish_dir / PARQUET_DIR_NAME)
    log.info("published %d marts built on Spark to %s", len(names), marts_file)
    return snapshot
