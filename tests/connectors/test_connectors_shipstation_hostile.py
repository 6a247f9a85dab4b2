"""ShipStation as it really behaves, over real HTTP: `/track` refusals, a future modified time, late writes.

- One label's `/track` answered 404 or 400 never fails the stream: the label is quarantined with
  the reason, not asked the next night, asked again on its back-off day, and loaded once answered.
- A shipment claiming a modified time in year 9229 is quarantined and never moves the cursor.
- A shipment written with a modified time just before the cursor is caught by the overlap.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from connector_helpers import raw_rows, sandbox_env

from connectors.config import HubConfig
from connectors.ingest import ingest_stream
from connectors.windows import iso_z, parse_timestamp
from sandbox.apis.faults import parse_faults
from sandbox.server import running_sandbox
from sandbox.truth import compute_truth
from support.dbt_harness import dbt, differences, ingest_everything, mart_rows, sandbox_connector_env, truth_rows

SEED = 1
CLOCK = date(2026, 11, 1)
TRACK_FAULT = "shipstation:track_error@0.3"
BUILD = ["build", "--exclude", "test_type:unit"]


def _fetch(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse)) as con:  # dbt in this process may hold the file open read-write
        return con.execute(sql, params or []).fetchall()


def _night(sb, day: date, data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every stream at clock `day`, as a nightly run at that clock asks."""
    sb.set_clock(day)
    env = sandbox_connector_env(sb.url, data, day)
    for name, value in {**env, "HUB_AS_OF": day.isoformat()}.items():
        monkeypatch.setenv(name, value)
    ingest_everything(env, run_id=f"night-{day}")


def _retries(warehouse: Path) -> dict[str, tuple[int, date]]:
    rows = _fetch(warehouse, "select pk, failures, next_attempt from raw._retries where stream = 'shipstation__tracking'")
    return {pk: (failures, next_attempt) for pk, failures, next_attempt in rows}


def test_refused_tracking_is_quarantined_and_asked_again_on_a_back_off(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    data, worlds = tmp_path / "data", tmp_path / "worlds"
    warehouse = data / "warehouse.duckdb"
    plan = parse_faults(TRACK_FAULT, SEED)
    with running_sandbox(seed=SEED, scale="tiny", as_of=CLOCK, faults=TRACK_FAULT, data_dir=worlds) as sb:
        _night(sb, CLOCK, data, monkeypatch)  # green: no exception although labels were refused
        delivered = {pk for (pk,) in _fetch(
            warehouse, "select _pk from raw.shipstation__labels where _record->>'tracking_status' = 'delivered'")}
        refused = {pk for pk in delivered if plan.hits("shipstation", "track_error", pk)}
        assert refused and refused != delivered, "the fault should refuse some labels, not all"
        quarantined = _fetch(warehouse, "select pk, reason from raw._quarantine where stream = 'shipstation__tracking'")
        assert {pk for pk, _ in quarantined} == refused
        assert all("answered HTTP 404" in reason or "answered HTTP 400" in reason for _, reason in quarantined)
        assert all(f"asked again on {CLOCK + timedelta(days=1)}" in reason for _, reason in quarantined)
        tracked = {pk for (pk,) in _fetch(warehouse, "select _pk from raw.shipstation__tracking")}
        assert tracked == delivered - refused
        first = _retries(warehouse)
        # the night's day is the last whole day the clock shows (CLOCK - 1); back-off 2 days after it
        assert first == dict.fromkeys(refused, (1, CLOCK + timedelta(days=1)))

        dbt(BUILD, data)  # delivered but undated: shown, not dropped
        undated = {pk for (pk,) in _fetch(
            warehouse, "select shipment_id from main.fct_shipments where is_delivery_date_unknown")}
        refused_shipments = {pk for (pk,) in _fetch(
            warehouse, "select distinct _record->>'shipment_id' from raw.shipstation__labels where list_contains(?, _pk)",
            [sorted(refused)])}
        assert undated == refused_shipments

        _night(sb, CLOCK + timedelta(days=1), data, monkeypatch)  # not due: not asked
        assert _retries(warehouse) == first
        _night(sb, CLOCK + timedelta(days=2), data, monkeypatch)  # due: asked, refused again
        second = _retries(warehouse)
        assert set(second) >= refused
        assert {pk: second[pk] for pk in refused} == dict.fromkeys(refused, (2, CLOCK + timedelta(days=5)))

    later = CLOCK + timedelta(days=6)  # the sandbox answers now; the labels are due again
    with running_sandbox(seed=SEED, scale="tiny", as_of=later, data_dir=worlds) as sb:
        _night(sb, later, data, monkeypatch)
    assert _retries(warehouse) == {}
    assert _fetch(warehouse, "select count(*) from raw._quarantine where stream = 'shipstation__tracking'") == [(0,)]
    assert refused <= {pk for (pk,) in _fetch(warehouse, "select _pk from raw.shipstation__tracking")}
    dbt(BUILD, data)
    want = truth_rows(compute_truth(SEED, "tiny", later))
    assert want and differences(mart_rows(warehouse), want) == []


def test_a_shipment_modified_in_the_future_is_quarantined_and_never_moves_the_cursor(tiny_sandbox, clean_tiny_tables,
                                                                                      tmp_path: Path) -> None:
    data = tmp_path / "data"
    clean = clean_tiny_tables["shipstation__shipments"]
    newest = max(clean, key=lambda row: (row[2], row[0]))  # the sandbox lists by (modified_at, id)
    with running_sandbox(seed=SEED, scale="tiny", faults="shipstation:future_cursor@always") as sb:
        config = HubConfig.from_env(sandbox_env(sb.url, data))
        report = ingest_stream("shipstation__shipments", config, "night-1")
    quarantined = _fetch(config.warehouse_path,
                         "select pk, reason from raw._quarantine where stream = 'shipstation__shipments'")
    assert quarantined == [(newest[0], f"cursor in the future: 9229{newest[2][4:]} is later than now plus 10 minutes "
                                       f"(the clock skew allowed); it does not move the cursor")]
    assert report.quarantined == 1
    assert report.cursor_after == max(row[2] for row in clean if row[0] != newest[0])
    assert newest[0] not in {row[0] for row in raw_rows(config, "shipstation__shipments")}

    # The vendor sends it with its real time again: the overlap reaches it, it loads, the cursor moves on.
    night = ingest_stream("shipstation__shipments", HubConfig.from_env(sandbox_env(tiny_sandbox.url, data)), "night-2")
    assert night.cursor_after == newest[2]
    assert raw_rows(config, "shipstation__shipments") == clean


@pytest.mark.parametrize(("overlap", "caught"), [("0", False), ("60", True)])
def test_a_shipment_written_late_at_the_cursor_is_caught_by_the_overlap(tiny_sandbox, clean_tiny_tables, tmp_path: Path,
                                                                        overlap: str, caught: bool) -> None:
    data = tmp_path / "data"
    config = HubConfig.from_env(sandbox_env(tiny_sandbox.url, data, HUB_SHIPSTATION_OVERLAP_MINUTES=overlap))
    ingest_stream("shipstation__shipments", config, "night-1")
    clean = clean_tiny_tables["shipstation__shipments"]
    late = sorted(clean, key=lambda row: (row[2], row[0]))[-2]
    # The night before saw a shipment modified 30 minutes after this one, but this one was written
    # (listed) only later: the cursor stands past it, and raw does not have it.
    cursor = iso_z(parse_timestamp(late[2]) + timedelta(minutes=30))
    with duckdb.connect(str(config.warehouse_path)) as con:
        con.execute("delete from raw.shipstation__shipments where _pk = ?", [late[0]])
        con.execute("update raw._cursors set cursor = ? where stream = 'shipstation__shipments'", [cursor])
    ingest_stream("shipstation__shipments", config, "night-2")
    loaded = {row[0] for row in raw_rows(config, "shipstation__shipments")}
    assert (late[0] in loaded) is caught
    if caught:
        assert raw_rows(config, "shipstation__shipments") == clean
