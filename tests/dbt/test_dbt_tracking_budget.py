"""ShipStation tracking under a nightly request budget converges to the truth over successive nights.

Night after night (the sandbox clock one day on, every stream over real HTTP), at most a few
`/track` requests are spent; meanwhile every delivered shipment whose tracking is not fetched yet
shows in fct_shipments with its delivery date unknown, and once nothing is deferred the marts
equal the sandbox's ground truth to the cent.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from sandbox.server import running_sandbox
from sandbox.truth import compute_truth
from support.dbt_harness import dbt, differences, ingest_everything, mart_rows, sandbox_connector_env, truth_rows

SEED = 3
FIRST_NIGHT = date(2026, 11, 1)
NIGHT_BUDGET = 8
MAX_NIGHTS = 12
BUILD = ["build", "--exclude", "test_type:data", "test_type:unit"]


def _night(sandbox, day: date, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A nightly's ingest at sandbox clock `day` (as dbt_harness.ingest_night) under the night budget."""
    sandbox.set_clock(day)
    env = {**sandbox_connector_env(sandbox.url, data_dir, day), "HUB_AS_OF": day.isoformat(),
           "HUB_SHIPSTATION_TRACKING_REQUESTS_PER_NIGHT": str(NIGHT_BUDGET)}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    ingest_everything(env, run_id=f"night-{day}")


def _deferred(warehouse: Path, day: date) -> int:
    with duckdb.connect(str(warehouse)) as con:
        return con.execute("select deferred from raw._loads where stream = 'shipstation__tracking' and run_id = ?",
                           [f"night-{day}"]).fetchone()[0]


def _unknown_and_untracked(warehouse: Path) -> tuple[set[str], set[str]]:
    """Shipments the mart shows with an unknown delivery date; shipments with a delivered, unvoided
    label whose delivery is not in raw tracking."""
    with duckdb.connect(str(warehouse)) as con:
        unknown = {r[0] for r in con.execute("select shipment_id from main.fct_shipments where is_delivery_date_unknown").fetchall()}
        untracked = {r[0] for r in con.execute(
            "select distinct _record->>'shipment_id' from raw.shipstation__labels "
            "where _record->>'tracking_status' = 'delivered' and not coalesce((_record->>'voided')::boolean, false) "
            "and _record->>'shipment_id' not in (select l._record->>'shipment_id' from raw.shipstation__labels l "
            "  join raw.shipstation__tracking t on t._pk = l._pk where t._record->>'status_code' = 'DE')").fetchall()}
    return unknown, untracked


def test_tracking_budget_converges_to_the_truth_over_nights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    day = FIRST_NIGHT
    with running_sandbox(seed=SEED, scale="tiny", as_of=day, data_dir=tmp_path / "worlds") as sandbox:
        _night(sandbox, day, tmp_path, monkeypatch)
        first_deferred = _deferred(warehouse, day)
        assert first_deferred > 0, "one night's budget tracked everything: the test would prove nothing"
        dbt([*BUILD, "--vars", f"{{as_of: '{day.isoformat()}'}}"], tmp_path)
        unknown, untracked = _unknown_and_untracked(warehouse)
        # Labels the budget left for later nights are delivered with their date unknown, not missing.
        assert untracked and unknown == untracked
        nights = 1
        while _deferred(warehouse, day) and nights < MAX_NIGHTS:
            day += timedelta(days=1)
            _night(sandbox, day, tmp_path, monkeypatch)
            nights += 1
        assert _deferred(warehouse, day) == 0, f"still deferred after {nights} nights of {NIGHT_BUDGET} requests"
    assert nights > 1
    dbt([*BUILD, "--vars", f"{{as_of: '{day.isoformat()}'}}"], tmp_path)
    assert _unknown_and_untracked(warehouse)[0] == _unknown_and_untracked(warehouse)[1]
    want = truth_rows(compute_truth(SEED, "tiny", day, currency="EUR"))
    assert want, "the truth has no rows: the comparison would prove nothing"
    assert differences(mart_rows(warehouse), want) == []
