"""The Shippo connector over real HTTP against the sandbox (tiny world): a later night reads only its
window and equals a full run, tracking keeps to its nightly budget and journal, a refused tracking
number is quarantined and asked again, faults are retried without loss, a page that stays broken
fails naming the stream and changes nothing (429s among the faults are honoured), and the documented pace
keeps a long first sync under Shippo's limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from connector_helpers import raw_rows, sandbox_env

import connectors.ingest
from connectors.auth import auth_headers
from connectors.config import HubConfig
from connectors.errors import RetryExhausted
from connectors.ingest import StreamReport, ingest_stream
from connectors.limits import ENDPOINTS, endpoint_rates
from connectors.systems.shippo import STREAMS
from sandbox.apis.faults import parse_faults
from sandbox.credentials import SANDBOX_CREDENTIALS
from sandbox.server import RunningSandbox, running_sandbox

SEED = 1
CLOCK = date(2026, 10, 1)
NAMES = [spec.name for spec in STREAMS]
TOKEN = SANDBOX_CREDENTIALS["shippo"]["api_token"]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    """A tiny sandbox at CLOCK (a test that moves the clock puts it back)."""
    with running_sandbox(seed=SEED, scale="tiny", as_of=CLOCK, data_dir=tmp_path_factory.mktemp("worlds")) as sb:
        yield sb


def shippo_config(url: str, data: Path, day: date = CLOCK, **extra: str) -> HubConfig:
    """Shippo at the sandbox, as a night at clock `day` asks (the last whole day is the day before),
    paced at the sandbox's time scale (Shippo sends no rate-limit headers to pace from)."""
    return HubConfig.from_env(sandbox_env(url, data, **{
        "HUB_SHIPPO_BASE_URL": url + "/shippo", "HUB_SHIPPO_API_TOKEN": TOKEN,
        "HUB_END_DATE": (day - timedelta(days=1)).isoformat(), "HUB_RATE_LIMIT_TIME_SCALE": "60", **extra}))


def night(config: HubConfig, run_id: str, names: list[str] = NAMES) -> dict[str, StreamReport]:
    return {name: ingest_stream(name, config, run_id) for name in names}


def rows(config: HubConfig) -> dict[str, list[tuple]]:
    return {name: raw_rows(config, name) for name in NAMES}


def fetch(config: HubConfig, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(config.warehouse_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def track_requests(sb: RunningSandbox) -> int:
    return sum(n for path, n in sb.stats().get("shippo", {}).items() if path.startswith("/tracks"))


@pytest.fixture(scope="module")
def clean(sandbox: RunningSandbox, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple]]:
    """Raw tables of one fault-free first run at CLOCK."""
    config = shippo_config(sandbox.url, tmp_path_factory.mktemp("clean"))
    night(config, "clean")
    return rows(config)


def test_a_later_night_reads_its_window_and_equals_a_full_run(sandbox: RunningSandbox, clean, tmp_path: Path) -> None:
    later = CLOCK + timedelta(days=20)
    first = shippo_config(sandbox.url, tmp_path / "nightly")
    night(first, "night-1")
    assert rows(first) == clean and all(clean.values())
    try:
        sandbox.set_clock(later)
        nightly = shippo_config(sandbox.url, tmp_path / "nightly", later)
        before = sandbox.stats()["shippo"]
        reports = night(nightly, "night-2")
        asked = {path: n - before.get(path, 0) for path, n in sandbox.stats()["shippo"].items()}
        full = shippo_config(sandbox.url, tmp_path / "full", later)
        night(full, "full")
    finally:
        sandbox.set_clock(CLOCK)
    assert rows(nightly) == rows(full)
    assert rows(nightly) != clean  # the 20 days brought new records and changes
    # shipments: one 90-day slice from the cursor, not the five since HUB_START_DATE
    assert asked["/shipments"] == 1 and reports["shippo__shipments"].cursor_before
    assert reports["shippo__shipments"].inserted > 0 and reports["shippo__orders"].updated > 0


def test_tracking_keeps_to_the_nightly_budget_newest_first_and_a_rerun_pays_nothing_twice(
        sandbox: RunningSandbox, tmp_path: Path) -> None:
    data = tmp_path / "data"
    config = shippo_config(sandbox.url, data, HUB_SHIPPO_TRACKING_REQUESTS_PER_NIGHT="4")
    night(config, "night-1", NAMES[:3])
    delivered = [pk for (pk,) in fetch(config, "select _pk from raw.shippo__transactions where "
                                               "_record->>'tracking_status' = 'DELIVERED' order by _record->>'object_created' desc, _pk")]
    assert len(delivered) > 8
    asked = track_requests(sandbox)
    report = ingest_stream("shippo__tracking", config, "night-1")
    assert track_requests(sandbox) - asked == 4 and report.deferred == len(delivered) - 4
    assert sorted(pk for (pk,) in fetch(config, "select _pk from raw.shippo__tracking")) == sorted(delivered[:4])
    rerun = ingest_stream("shippo__tracking", config, "night-1-again")  # the same night: its budget is spent
    assert track_requests(sandbox) - asked == 4 and rerun.deferred == len(delivered) - 4
    next_night = shippo_config(sandbox.url, data, CLOCK + timedelta(days=1), HUB_SHIPPO_TRACKING_REQUESTS_PER_NIGHT="4")
    ingest_stream("shippo__tracking", next_night, "night-2")
    assert track_requests(sandbox) - asked == 8
    tracked = fetch(next_night, "select _pk, _record->'tracking_status'->>'status', _record->>'transaction' "
                                "from raw.shippo__tracking")
    assert sorted(pk for pk, _, _ in tracked) == sorted(delivered[:8])
    assert all(status == "DELIVERED" and transaction == pk for pk, status, transaction in tracked)


def test_tracks_a_failed_run_paid_for_are_landed_from_its_journal_not_asked_again(
        sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = shippo_config(sandbox.url, tmp_path / "data", HUB_SHIPPO_TRACKING_REQUESTS_PER_NIGHT="6")
    night(config, "lists", NAMES[:3])
    asked = track_requests(sandbox)

    def dies(*args: object, **kwargs: object) -> None:
        raise RuntimeError("killed before the load")

    with monkeypatch.context() as patched:  # the answers are paid for and journaled, then the run dies
        patched.setattr(connectors.ingest, "_load", dies)
        with pytest.raises(RuntimeError):
            ingest_stream("shippo__tracking", config, "dies")
    assert track_requests(sandbox) - asked == 6 and not fetch(
        config, "select 1 from information_schema.tables where table_name = 'shippo__tracking'")
    report = ingest_stream("shippo__tracking", config, "rerun")
    assert track_requests(sandbox) - asked == 6  # the night's budget was spent: nothing asked twice
    assert report.inserted == 6 and len(raw_rows(config, "shippo__tracking")) == 6


def test_a_refused_tracking_number_is_quarantined_and_asked_again(tmp_path: Path) -> None:
    fault = "shippo:track_error@0.3"
    plan = parse_faults(fault, SEED)
    data, worlds = tmp_path / "data", tmp_path / "worlds"
    with running_sandbox(seed=SEED, scale="tiny", as_of=CLOCK, faults=fault, data_dir=worlds) as sb:
        config = shippo_config(sb.url, data)
        night(config, "night-1")  # green although some numbers were refused
    numbers = dict(fetch(config, "select _pk, _record->>'tracking_number' from raw.shippo__transactions "
                                 "where _record->>'tracking_status' = 'DELIVERED'"))
    refused = {pk for pk, number in numbers.items() if plan.hits("shippo", "track_error", number)}
    assert refused and refused != set(numbers)
    quarantined = fetch(config, "select pk, reason from raw._quarantine where stream = 'shippo__tracking'")
    assert {pk for pk, _ in quarantined} == refused
    assert all("answered HTTP 400" in reason and f"asked again on {CLOCK + timedelta(days=1)}" in reason
               for _, reason in quarantined)
    assert {pk for (pk,) in fetch(config, "select _pk from raw.shippo__tracking")} == set(numbers) - refused

    later = CLOCK + timedelta(days=3)  # due again, and the carrier knows the numbers now
    with running_sandbox(seed=SEED, scale="tiny", as_of=later, data_dir=worlds) as sb:
        night(shippo_config(sb.url, data, later), "night-2")
    assert fetch(config, "select count(*) from raw._quarantine where stream = 'shippo__tracking'") == [(0,)]
    assert fetch(config, "select count(*) from raw._retries where stream = 'shippo__tracking'") == [(0,)]
    assert refused <= {pk for (pk,) in fetch(config, "select _pk from raw.shippo__tracking")}


def test_every_fault_is_retried_and_loses_nothing(clean, tmp_path: Path) -> None:
    faults = ",".join(f"shippo:{kind}@0.05" for kind in ("5xx", "rate_limit", "drop", "malformed", "truncated",
                                                           "missing_key", "duplicate"))
    with running_sandbox(seed=SEED, scale="tiny", as_of=CLOCK, faults=faults) as sb:
        config = shippo_config(sb.url, tmp_path / "data")
        reports = night(config, "faulty")
    assert rows(config) == clean
    assert sum(r.retries for r in reports.values()) > 5 and sum(r.throttled for r in reports.values()) > 0
    assert all(r.quarantined == 0 for r in reports.values())


def test_records_without_their_object_id_are_quarantined_and_load_once_sent_whole(
        sandbox: RunningSandbox, clean, tmp_path: Path) -> None:
    data = tmp_path / "data"
    with running_sandbox(seed=SEED, scale="tiny", as_of=CLOCK, faults="shippo:missing_id@always") as sb:
        report = ingest_stream("shippo__orders", shippo_config(sb.url, data), "night-1")
    config = shippo_config(sandbox.url, data)
    quarantined = fetch(config, "select reason, record->>'object_id' is null, record->>'order_number' is not null "
                                "from raw._quarantine where stream = 'shippo__orders'")
    assert report.quarantined == report.pages == len(quarantined) > 0  # the first record of every page
    assert set(quarantined) == {("missing id: no value at object_id", True, True)}
    assert len(raw_rows(config, "shippo__orders")) == len(clean["shippo__orders"]) - report.quarantined

    assert ingest_stream("shippo__orders", config, "night-2").quarantined == 0
    assert raw_rows(config, "shippo__orders") == clean["shippo__orders"]


def test_a_page_that_stays_without_its_results_fails_naming_the_stream_and_changes_nothing(
        sandbox: RunningSandbox, tmp_path: Path) -> None:
    data = tmp_path / "data"
    night(shippo_config(sandbox.url, data), "night-1")
    before = fetch(shippo_config(sandbox.url, data), "select _pk, _record::varchar from raw.shippo__orders order by 1")
    cursors = fetch(shippo_config(sandbox.url, data), "select * from raw._cursors order by all")
    with running_sandbox(seed=SEED, scale="tiny", as_of=CLOCK, faults="shippo:missing_key@always") as sb:
        config = shippo_config(sb.url, data, HUB_HTTP_RETRY_MAX_SECONDS="1.5")
        with pytest.raises(RetryExhausted) as err:
            ingest_stream("shippo__orders", config, "night-2")
    message = str(err.value)
    assert message.startswith("shippo__orders: gave up on ")
    assert "the page lacks its records key 'results'" in message
    assert "Nothing of this fetch was loaded and the stream's cursor did not move" in message
    assert fetch(config, "select _pk, _record::varchar from raw.shippo__orders order by 1") == before
    assert fetch(config, "select * from raw._cursors order by all") == cursors


def test_the_documented_pace_keeps_a_long_first_sync_under_shippos_limit(tmp_path: Path) -> None:
    # From 2012 the first sync asks 61 slices of 90 days, more than Shippo's 50 list requests a minute
    # (a real second here); Shippo sends no headers to pace from, so the documented pace must hold.
    with running_sandbox(seed=SEED, scale="tiny", as_of=CLOCK) as sb:
        config = shippo_config(sb.url, tmp_path / "data", HUB_START_DATE="2012-01-01")
        report = ingest_stream("shippo__shipments", config, "first")
        asked = sb.stats()["shippo"]["/shipments"]
        refused = sb.rate_limited().get("shippo", 0)
    assert asked > 55 and (refused, report.throttled) == (0, 0)
    assert len(raw_rows(config, "shippo__shipments")) > 10


def test_each_endpoint_has_its_documented_limit_live_and_test() -> None:
    """Tracks are paced at their own 500 a minute, not the lists' 50; a test key at Shippo's test limits."""
    def rates(token: str) -> dict[str, float]:
        return {endpoint.name: (rate.requests, rate.seconds) for endpoint, rate in endpoint_rates("shippo", (token,))}

    assert rates("shippo_live_x1") == {"orders": (50, 60), "shipments": (50, 60), "transactions": (50, 60), "tracks": (500, 60)}
    assert rates("shippo_test_x1") == {"orders": (10, 60), "shipments": (10, 60), "transactions": (10, 60), "tracks": (50, 60)}
    paced = {path: [e.name for e in ENDPOINTS["shippo"] if e.matches(path)]
             for path in ("/tracks/ups/1Z999", "/shipments", "/transactions", "/carrier_accounts")}
    assert paced == {"/tracks/ups/1Z999": ["tracks"], "/shipments": ["shipments"], "/transactions": ["transactions"],
                     "/carrier_accounts": []}


def test_a_test_key_keeps_to_shippos_test_limits(tmp_path: Path) -> None:
    """A test key may list 10 times a minute: 16 slices of shipments since 2023 are refused nothing, where
    the live pace (50 a minute) would meet a 429 after the tenth."""
    test_key = "shippo_test_" + TOKEN.removeprefix("shippo_live_")
    with running_sandbox(seed=SEED, scale="tiny", as_of=CLOCK) as sb:
        config = shippo_config(sb.url, tmp_path / "data", HUB_SHIPPO_API_TOKEN=test_key, HUB_START_DATE="2023-01-01")
        report = ingest_stream("shippo__shipments", config, "test-mode")
        asked, refused = sb.stats()["shippo"]["/shipments"], sb.rate_limited().get("shippo", 0)
    assert asked >= 16 and (refused, report.throttled) == (0, 0)


def test_requests_carry_the_shippotoken_scheme_and_the_version_of_the_spec() -> None:
    config = HubConfig.from_env({"HUB_SHIPPO_BASE_URL": "https://api.goshippo.com", "HUB_SHIPPO_API_TOKEN": "shippo_live_x1"})
    system = config.system("shippo")
    assert auth_headers(system).current() == (
        {"authorization": "ShippoToken shippo_live_x1", "shippo-api-version": "2018-02-08"}, None)
    assert system.secrets == ("shippo_live_x1",)  # masked in logs and landed pages, sent to the configured origin only
