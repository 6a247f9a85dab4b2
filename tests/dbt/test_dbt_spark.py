"""The same dbt project on Apache Spark (local mode, dbt-spark's session method): every published
table equals the DuckDB build's, row for row, and an incremental Spark build equals a full one.

The `small` sandbox world is ingested over HTTP on two nights with HUB_LAKE_DIR set, so the raw
layer reaches Spark as the loads wrote it (connectors/lake.py). One Spark session serves the
module: dbt-spark's session method takes the one this process already runs.
"""

from __future__ import annotations

import math
import os
import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import duckdb
import pytest

from support.dbt_harness import RAW_TABLES, dbt, ingest_everything, invoke_dbt, sandbox_connector_env, target_path
from sandbox.server import running_sandbox

pytest.importorskip("pyspark", reason="the spark extra (pyspark, dbt-spark[session]) is not installed")

from pipelines.publish.marts_file import Relation, publish_marts  # noqa: E402
from pipelines.spark_build import mart_names, spark_build  # noqa: E402

SEED, SCALE = 13, "small"
DAY1, DAY2 = date(2026, 7, 31), date(2026, 8, 1)
VARS = {"reporting_currency": "EUR"}


def _night(sandbox: object, day: date, data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every stream ingested at sandbox clock `day`, each load also writing the lake."""
    sandbox.set_clock(day)
    env = {**sandbox_connector_env(sandbox.url, data, day), "HUB_LAKE_DIR": str(data / "lake"),
           "HUB_AS_OF": day.isoformat()}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    ingest_everything(env, run_id=f"night-{day}")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Day 1: ingest, full Spark build. Day 2: ingest, DuckDB build, incremental and full Spark builds."""
    data = tmp_path_factory.mktemp("spark")
    monkeypatch = pytest.MonkeyPatch()
    saved_env = dict(os.environ)
    try:
        with running_sandbox(seed=SEED, scale=SCALE, as_of=DAY1, data_dir=data / "worlds") as sandbox:
            _night(sandbox, DAY1, data, monkeypatch)
            spark_build(data, data / "spark_day1", VARS, "day1", lake_dir=data / "lake")
            _night(sandbox, DAY2, data, monkeypatch)
        dbt(["build", "--exclude-resource-type", "unit_test"], data)
        names = mart_names(target_path(data))
        # dbt-duckdb still holds the warehouse open in this process: publish from a checkpointed copy
        with duckdb.connect(str(data / "warehouse.duckdb")) as con:
            con.execute("checkpoint")
        shutil.copy(data / "warehouse.duckdb", data / "duckdb_built.duckdb")
        publish_marts(data / "duckdb_built.duckdb", data / "duckdb" / "marts.duckdb",
                      [Relation("main", name) for name in names], "duckdb", "EUR")
        spark_build(data, data / "spark_incremental", VARS, "incremental", lake_dir=data / "lake")
        spark_build(data, data / "spark_full", VARS, "full", lake_dir=data / "lake", full_refresh=True)
        yield data
    finally:
        monkeypatch.undo()
        os.environ.clear()
        os.environ.update(saved_env)


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


def test_lake_holds_the_raw_tables(built: Path) -> None:
    """The latest `_loaded_at` of each `_pk` in the lake is the raw table, row for row."""
    with duckdb.connect(str(built / "duckdb_built.duckdb"), read_only=True) as con:
        several = 0
        for table in RAW_TABLES:
            files = sorted((built / "lake" / table).glob("*.parquet"))
            assert files, f"{table}: no lake file"
            several += len(files) > 1
            lake_rows = con.execute(
                f"select _pk, _scope, _cursor, _record, _run_id, _loaded_at from read_parquet('{built}/lake/{table}/*.parquet')"
                " qualify row_number() over (partition by _pk order by _loaded_at desc) = 1").fetchall()
            raw_rows = con.execute(
                f"select _pk, _scope, _cursor, cast(_record as varchar), _run_id, _loaded_at from raw.{table}").fetchall()
            assert raw_rows, f"{table} is empty: the comparison would prove nothing"
            assert Counter(lake_rows) == Counter(raw_rows), table
        assert several, "no stream wrote a second file on day 2: the lake was not written incrementally"


def test_spark_marts_equal_duckdb(built: Path) -> None:
    """Every published table built on Spark equals DuckDB's, amounts to the cent."""
    duck = _tables(built / "duckdb" / "marts.duckdb")
    empty = [name for name, (_, rows) in duck.items() if name.startswith("mart_") and not rows]
    assert not empty, f"DuckDB marts {empty} are empty: the comparison would prove nothing"
    assert _differences(duck, _tables(built / "spark_incremental" / "marts.duckdb")) == []


def test_incremental_spark_build_equals_full(built: Path) -> None:
    """Day 2 built incrementally on day 1's Spark tables equals a full Spark build at day 2."""
    full = _tables(built / "spark_full" / "marts.duckdb")
    assert _differences(full, _tables(built / "spark_incremental" / "marts.duckdb")) == []
    day1 = _tables(built / "spark_day1" / "marts.duckdb")
    assert _differences(full, day1), "day 2 changed no mart: the incremental comparison would prove nothing"


def test_unit_tests_pass_on_spark(built: Path) -> None:
    """The project's dbt unit tests, on Spark."""
    result = invoke_dbt(["test", "--select", "test_type:unit"], built, target="spark",
                        env={"HUB_LAKE_DIR": str(built / "lake")})
    failures = [f"{r.node.unique_id}: {r.message}" for r in getattr(result.result, "results", None) or []
                if str(r.status) not in ("pass", "success")]  # the on-run-start hook succeeds
    assert result.success and not failures, failures
