"""The same dbt project on Apache Spark (local mode, dbt-spark's session method): every published
table equals the DuckDB build's, row for row, and an incremental Spark build equals a full one.

The `small` sandbox world is ingested over HTTP on two nights with HUB_LAKE_DIR set, so the raw
layer reaches Spark as the loads wrote it (connectors/lake.py). Each Spark build runs in a process
of its own (its own JVM and Spark session, as each night's `python -m pipelines spark-build` does),
keeping its tables in the data folder's Spark warehouse and metastore: day 1 builds the incremental
models and the models they read (the state day 2 builds on; the other models are rebuilt whole
every run), day 2 builds every model incrementally with the unit tests. The full build at day 2,
with every data test, is the nightly's dbt step on Spark (HUB_DBT_TARGET=spark) in a Dagster run,
which publishes the marts: its dbt runs in a subprocess with a Spark of its own, on a copy of the
warehouse holding night 2's raw tables and no marts, so what it publishes can only have come from
Spark. The two day-2 builds share nothing and run at the same time (one core each).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from support.dbt_harness import RAW_TABLES, dbt, ingest_everything, sandbox_connector_env, target_path
from sandbox.server import running_sandbox

pytest.importorskip("pyspark", reason="the spark extra (pyspark, dbt-spark[session]) is not installed")

from pipelines.publish.marts_file import Relation, publish_marts  # noqa: E402
from pipelines.spark_build import SPARK_DIR_NAME, handover_dir, mart_names  # noqa: E402

SEED, SCALE = 13, "small"
DAY1, DAY2 = date(2026, 7, 31), date(2026, 8, 1)
VARS = {"reporting_currency": "EUR"}
# Every folder publishes with one key, so pseudonyms compare across builds.
SPARK_ENV = {"HUB_SPARK_SHUFFLE_PARTITIONS": "1", "HUB_PSEUDONYM_KEY": "spark-test-key-" + "k" * 32}
# Day 1 builds what day 2's incremental build reads of its own past: the incremental models and their parents.
DAY1_SELECT = "+config.materialized:incremental"
REPO = Path(__file__).resolve().parents[2]


def _night(sandbox: object, day: date, data: Path, patch: pytest.MonkeyPatch) -> None:
    """Every stream ingested at sandbox clock `day`, each load also writing the lake."""
    sandbox.set_clock(day)
    env = {**sandbox_connector_env(sandbox.url, data, day), "HUB_LAKE_DIR": str(data / "lake"),
           "HUB_AS_OF": day.isoformat()}
    for name, value in env.items():
        patch.setenv(name, value)
    ingest_everything(env, run_id=f"night-{day}")


@dataclass(frozen=True)
class Built:
    """The module's data folder and the Dagster run of the nightly's dbt step on Spark."""

    data: Path
    nightly: dg.ExecuteInProcessResult

    @property
    def nightly_dir(self) -> Path:
        return self.data / "nightly_on_spark"


def _nightly_on_spark(data_dir: Path, lake_dir: Path, patch: pytest.MonkeyPatch) -> dg.ExecuteInProcessResult:
    """The dbt models, their checks and the publish asset materialised by Dagster with HUB_DBT_TARGET=spark."""
    from pipelines.checks.marts import MART_CHECKS
    from pipelines.publish.assets import build_publish_asset
    from pipelines.resources import hub_resources
    from pipelines.transform.assets import hub_dbt_models
    from pipelines.transform.spark_dbt import hub_dbt

    for name, value in {"HUB_DATA_DIR": str(data_dir), "HUB_LAKE_DIR": str(lake_dir), "HUB_DBT_TARGET": "spark"}.items():
        patch.setenv(name, value)
    with dg.instance_for_test() as instance:
        return dg.materialize([hub_dbt_models, build_publish_asset(), *MART_CHECKS],
                              resources={**hub_resources(), "dbt": hub_dbt()}, instance=instance, raise_on_error=False)


def _spark_process(call: str, log: Path) -> subprocess.Popen:
    """`call`, Python naming pipelines.spark_build's functions, in a process of its own with this
    process's environment as it is now; its output in `log` (a pipe would fill and stall it)."""
    code = f"from pathlib import Path\nfrom pipelines.spark_build import run_dbt_on_spark, spark_build\n{call}"
    with log.open("w") as out:
        return subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env=dict(os.environ), stdout=out,
                                stderr=subprocess.STDOUT)


def _finished(process: subprocess.Popen, log: Path) -> None:
    if process.wait() != 0:
        raise AssertionError(f"the Spark build failed (exit {process.returncode}): {log.read_text()[-4000:]}")


def _spark_tables(data: Path, names: list[str]) -> dict[str, list[tuple]]:
    """The rows of Spark's tables `names` under `data`'s Spark warehouse, sorted."""
    tables = data / SPARK_DIR_NAME / "warehouse" / "main.db"
    with duckdb.connect() as con:
        return {name: sorted(con.execute(
            f"select * from read_parquet('{tables / name}/**/*.parquet', hive_partitioning = true)").fetchall(), key=str)
            for name in names}


def _incremental_models(target: Path) -> list[str]:
    manifest = json.loads((target / "manifest.json").read_text())
    return sorted(node["alias"] for node in manifest["nodes"].values()
                  if node["resource_type"] == "model" and node["config"]["materialized"] == "incremental")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: object) -> Iterator[Built]:
    """Day 1: ingest, Spark build of the incremental models and their parents. Day 2: ingest, DuckDB
    build, and at the same time the incremental Spark build (every model, the unit tests) and the
    nightly's dbt step on Spark in Dagster (a full build) on a copy of the warehouse."""
    data = tmp_path_factory.mktemp("spark")
    lake_dir = data / "lake"
    with pytest.MonkeyPatch.context() as patch:
        for name, value in SPARK_ENV.items():
            patch.setenv(name, value)
        with running_sandbox(seed=SEED, scale=SCALE, as_of=DAY1, data_dir=data / "worlds") as sandbox:
            _night(sandbox, DAY1, data, patch)
            log = data / "spark_day1.log"
            _finished(_spark_process(f"run_dbt_on_spark(Path({str(data)!r}), Path({str(lake_dir)!r}), {VARS!r},"
                                     f" select=[{DAY1_SELECT!r}], data_tests=False)", log), log)
            incremental = _incremental_models(target_path(data, "spark"))
            (data / "spark_day1_tables.json").write_text(json.dumps(_spark_tables(data, incremental), default=str))
            _night(sandbox, DAY2, data, patch)
        # night 2's raw tables, no marts: the nightly on Spark's own data folder
        (data / "nightly_on_spark").mkdir()
        shutil.copy(data / "warehouse.duckdb", data / "nightly_on_spark" / "warehouse.duckdb")
        dbt(["build", "--exclude-resource-type", "unit_test"], data)
        names = mart_names(target_path(data))
        # dbt-duckdb still holds the warehouse open in this process: publish from a checkpointed copy
        with duckdb.connect(str(data / "warehouse.duckdb")) as con:
            con.execute("checkpoint")
        shutil.copy(data / "warehouse.duckdb", data / "duckdb_built.duckdb")
        publish_marts(data / "duckdb_built.duckdb", data / "duckdb" / "marts.duckdb",
                      [Relation("main", name) for name in names], "duckdb", "EUR")
        log = data / "spark_incremental.log"  # started after the DuckDB build: both log to data/dbt_logs
        day2 = _spark_process(f"spark_build(Path({str(data)!r}), Path({str(data / 'spark_incremental')!r}), {VARS!r},"
                              f" 'incremental', lake_dir=Path({str(lake_dir)!r}), unit_tests=True, data_tests=False)", log)
        try:
            nightly = _nightly_on_spark(data / "nightly_on_spark", lake_dir, patch)
        finally:
            _finished(day2, log)
        yield Built(data, nightly)


def _tables(marts_file: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every published table but `_published`: its columns and its rows, sorted."""
    with duckdb.connect(str(marts_file), read_only=True) as con:
        names = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main'"
            " and table_name <> '_published' order by table_name").fetchall()]
        out = {}
        for name in names:
            cursor = con.execute(f'select * from main."{name}"')
            columns = [d[0] for d in cursor.description]
            rows = sorted(cursor.fetchall(), key=lambda r: tuple("" if v is None else str(v) for v in r))
            out[name] = (columns, rows)
    return out


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-12)
    return a == b and type(a) is type(b)


def _differences(want: dict, got: dict) -> list[str]:
    problems = [f"{name}: missing" for name in sorted(set(want) - set(got))]
    problems += [f"{name}: not in the reference" for name in sorted(set(got) - set(want))]
    for name in sorted(set(want) & set(got)):
        (w_columns, w_rows), (g_columns, g_rows) = want[name], got[name]
        if w_columns != g_columns:
            problems.append(f"{name}: columns {g_columns} instead of {w_columns}")
            continue
        if len(w_rows) != len(g_rows):
            problems.append(f"{name}: {len(g_rows)} rows instead of {len(w_rows)}")
            continue
        for w_row, g_row in zip(w_rows, g_rows):
            mismatched = [(c, w, g) for c, w, g in zip(w_columns, w_row, g_row) if not _same(w, g)]
            if mismatched:
                problems.append(f"{name} row {w_row}: {mismatched}")
                break
    return problems


def test_lake_holds_the_raw_tables(built: Built) -> None:
    """The latest `_loaded_at` of each `_pk` in the lake is the raw table, row for row."""
    data = built.data
    with duckdb.connect(str(data / "duckdb_built.duckdb"), read_only=True) as con:
        several = 0
        for table in RAW_TABLES:
            files = sorted((data / "lake" / table).glob("*.parquet"))
            assert files, f"{table}: no lake file"
            several += len(files) > 1
            lake_rows = con.execute(
                f"select _pk, _scope, _cursor, _record, _run_id, _loaded_at from read_parquet('{data}/lake/{table}/*.parquet')"
                " qualify row_number() over (partition by _pk order by _loaded_at desc) = 1").fetchall()
            raw_rows = con.execute(
                f"select _pk, _scope, _cursor, cast(_record as varchar), _run_id, _loaded_at from raw.{table}").fetchall()
            assert raw_rows, f"{table} is empty: the comparison would prove nothing"
            assert Counter(lake_rows) == Counter(raw_rows), table
        assert several, "no stream wrote a second file on day 2: the lake was not written incrementally"


def test_spark_marts_equal_duckdb(built: Built) -> None:
    """Every published table built on Spark (incrementally) equals DuckDB's, amounts to the cent."""
    duck = _tables(built.data / "duckdb" / "marts.duckdb")
    empty = [name for name, (_, rows) in duck.items() if name.startswith("mart_") and not rows]
    assert not empty, f"DuckDB marts {empty} are empty: the comparison would prove nothing"
    assert _differences(duck, _tables(built.data / "spark_incremental" / "marts.duckdb")) == []


def test_nightly_on_spark_publishes_the_marts(built: Built) -> None:
    """HUB_DBT_TARGET=spark: Dagster's dbt step builds and tests every model on Spark, the mart
    checks pass on what Spark built, and the publish asset publishes it (DuckDB file and Parquet)."""
    result = built.nightly
    failed = [e.step_key or "" for e in result.all_events if e.is_step_failure]
    assert result.success, f"steps failed: {failed}"
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    names = mart_names(target_path(built.data, "spark"))
    assert {*names, "published_marts"} <= materialized
    checks = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    failed_checks = [c.check_name for c in checks if not c.passed and c.severity == dg.AssetCheckSeverity.ERROR]
    assert checks and not failed_checks, failed_checks
    # the warehouse held no marts: Spark handed every one over, and the publish read those
    handed = handover_dir(built.nightly_dir)
    assert sorted(p.name for p in handed.iterdir() if any(p.glob("*.parquet"))) == names
    published = _tables(built.nightly_dir / "marts.duckdb")
    for name in names:
        assert any((built.nightly_dir / "parquet" / name).glob("*.parquet")), f"{name}: no Parquet published"
    assert _differences(_tables(built.data / "duckdb" / "marts.duckdb"), published) == []


def test_incremental_spark_build_equals_full(built: Built) -> None:
    """Day 2 built incrementally on day 1's Spark tables, in another process, equals a full Spark
    build at day 2 (the nightly on Spark's, from no Spark tables at all)."""
    full = _tables(built.nightly_dir / "marts.duckdb")
    assert _differences(full, _tables(built.data / "spark_incremental" / "marts.duckdb")) == []
    day1 = json.loads((built.data / "spark_day1_tables.json").read_text())
    day2 = json.loads(json.dumps(_spark_tables(built.data, sorted(day1)), default=str))
    assert [name for name in day1 if day1[name] != day2[name]], \
        "day 2 changed no incremental table: the incremental comparison would prove nothing"


def test_unit_tests_pass_on_spark(built: Built) -> None:
    """The project's dbt unit tests, run on Spark within the incremental day 2 build."""
    results = json.loads((target_path(built.data, "spark") / "run_results.json").read_text())["results"]
    unit = {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")}
    manifest = json.loads((target_path(built.data, "spark") / "manifest.json").read_text())
    assert unit and set(unit) == set(manifest["unit_tests"]), "not every unit test ran"
    assert {k: v for k, v in unit.items() if v != "pass"} == {}
