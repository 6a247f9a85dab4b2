"""The same dbt project on PostgreSQL: it builds, its tests pass, and every mart row equals DuckDB's.

The raw tables come from a real ingest of the tiny sandbox world; they are copied into a
throwaway PostgreSQL server started from the binaries on the machine image.
"""

from __future__ import annotations

import math
import os
from datetime import date
from pathlib import Path

import duckdb
import pytest

from support.dbt_harness import RAW_TABLES, dbt, ingest_everything, sandbox_connector_env
from pg_server import copy_raw_tables, find_bin_dir, running_postgres
from sandbox.server import free_port, running_sandbox

SEED, SCALE, AS_OF = 13, "tiny", date(2026, 8, 1)
MARTS = (
    "mart_sales_vs_fulfilment", "mart_sales_vs_fulfilment_by_product", "mart_sales_vs_fulfilment_by_customer",
    "mart_sales_funnel", "mart_contract_fulfilment",
)


@pytest.fixture(scope="module")
def pg_bin_dir() -> Path:
    """PostgreSQL binaries: skip without them, except on CI where their absence is a failure."""
    found = find_bin_dir()
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but no PostgreSQL binaries (initdb, pg_ctl) on this machine")
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin")
    return found


def _rows(fetch: list[tuple], order: str) -> list[tuple]:
    return sorted(fetch, key=lambda r: tuple("" if v is None else str(v) for v in r))


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-12)
    return a == b


def test_marts_on_postgres_equal_duckdb(pg_bin_dir: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    with running_sandbox(seed=SEED, scale=SCALE, as_of=AS_OF, data_dir=tmp_path / "worlds") as sb:
        env = sandbox_connector_env(sb.url, tmp_path, AS_OF)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        ingest_everything(env, run_id="portability")
    warehouse = tmp_path / "warehouse.duckdb"
    as_of_vars = ["--vars", f"{{as_of: '{AS_OF.isoformat()}'}}"]
    dbt(["build", *as_of_vars], tmp_path)

    with running_postgres(pg_bin_dir, free_port()) as server:
        copy_raw_tables(warehouse, server, RAW_TABLES)
        dbt(["build", *as_of_vars], tmp_path, target="postgres", env=server.env)
        with server.connect() as pg, duckdb.connect(str(warehouse)) as dk:
            for mart in MARTS:
                columns = [r[0] for r in dk.execute(
                    "select column_name from information_schema.columns where table_schema = 'main'"
                    f" and table_name = '{mart}' order by ordinal_position").fetchall()]
                select = f"select {', '.join(columns)} from main.{mart}"
                duck_rows = _rows(dk.execute(select).fetchall(), mart)
                cur = pg.cursor()
                cur.execute(select)
                pg_rows = _rows(cur.fetchall(), mart)
                assert duck_rows, f"{mart} is empty on DuckDB: the comparison would prove nothing"
                assert len(pg_rows) == len(duck_rows), mart
                for d_row, p_row in zip(duck_rows, pg_rows):
                    mismatched = [(c, d, p) for c, d, p in zip(columns, d_row, p_row) if not _same(d, p)]
                    assert not mismatched, f"{mart} row {d_row}: {mismatched}"
