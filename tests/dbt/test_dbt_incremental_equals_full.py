"""An incremental build after the clock moves equals a full refresh of the same raw tables.

sandbox at D -> ingest -> dbt build; clock D + 1 day (a new report month, restated ad days,
new shipments and tracking) -> ingest -> dbt build (incremental) -> every relation of the
warehouse compared, row for row, with a `--full-refresh` build of a copy. This holds the
incremental models (staging by `_loaded_at`, fct_ad_spend's restatement window,
int_contacts__attributed's write-only-what-changed) to what a rebuild computes.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from sandbox.server import running_sandbox
from support.dbt_harness import dbt, ingest_everything, sandbox_connector_env

AS_OF = date(2026, 11, 1)
BUILD = ["build", "--exclude", "test_type:unit"]


def relation_rows(warehouse: Path) -> dict[str, Counter]:
    """Every relation of schema main as a multiset of rows (without `_loaded_at`)."""
    # a plain connect: dbt ran in this process and DuckDB hands back its open database
    with duckdb.connect(str(warehouse)) as con:
        names = [row[0] for row in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main'"
            " and table_catalog = current_database()").fetchall()]
        relations = {}
        for name in names:
            # when the connectors last wrote a row is not part of the result
            columns = ", ".join(f'"{row[0]}"' for row in con.execute(
                "select column_name from information_schema.columns where table_schema = 'main'"
                f" and table_catalog = current_database() and table_name = '{name}'"
                " and column_name <> '_loaded_at' order by column_name").fetchall())
            relations[name] = Counter(con.execute(f"select {columns} from main.{name}").fetchall())
    return relations


def differences(left: Mapping[str, Counter], right: Mapping[str, Counter]) -> dict[str, tuple[int, int]]:
    """Per relation whose rows differ: (rows only in left, rows only in right)."""
    return {
        name: (sum((left.get(name, Counter()) - right.get(name, Counter())).values()),
               sum((right.get(name, Counter()) - left.get(name, Counter())).values()))
        for name in sorted(set(left) | set(right))
        if left.get(name) != right.get(name)
    }


@pytest.mark.parametrize("seed", [3])
def test_incremental_build_after_a_day_equals_a_full_refresh(seed: int, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    with running_sandbox(seed=seed, scale="tiny", as_of=AS_OF, data_dir=tmp_path / "worlds") as sandbox:
        for day in (AS_OF, AS_OF + timedelta(days=1)):
            sandbox.set_clock(day)
            env = sandbox_connector_env(sandbox.url, tmp_path, day)
            for name, value in {**env, "HUB_AS_OF": day.isoformat()}.items():
                monkeypatch.setenv(name, value)
            ingest_everything(env, run_id=f"incremental-{day}")
            dbt(BUILD, tmp_path)
    incremental = relation_rows(warehouse)
    assert incremental["fct_leads"] and incremental["mart_sales_vs_fulfilment"], "nothing was built"

    rebuilt = tmp_path / "rebuilt"
    rebuilt.mkdir()
    with duckdb.connect(str(warehouse)) as con:
        con.execute("checkpoint")  # the copy must hold what is still in the write-ahead log
    shutil.copy(warehouse, rebuilt / "warehouse.duckdb")
    dbt([*BUILD, "--full-refresh"], rebuilt)
    assert differences(incremental, relation_rows(rebuilt / "warehouse.duckdb")) == {}
