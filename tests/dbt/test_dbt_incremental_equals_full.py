"""An incremental build after the clock moves equals a full refresh of the same raw tables.

sandbox at D -> ingest -> dbt build; clock D + 1 day (a new report month, restated ad days,
new shipments and tracking) -> ingest -> dbt build (incremental) -> every relation of the
warehouse compared, row for row, with a `--full-refresh` build of a copy. This holds the
incremental models (staging by `_loaded_at`, fct_ad_spend's restatement window,
int_contacts__attributed's write-only-what-changed) to what a rebuild computes.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from sandbox.server import running_sandbox
from support.dbt_harness import (
    dbt, full_refresh_rows, ingest_everything, relation_differences, relation_rows, sandbox_connector_env,
)

AS_OF = date(2026, 11, 1)
BUILD = ["build", "--exclude", "test_type:unit"]


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
    assert relation_differences(incremental, full_refresh_rows(tmp_path, BUILD)) == {}
