"""The vendors' rate limits over real HTTP: one budget per account across processes, and a
tracking run stopped mid-budget that resumes without asking for what it already landed.

The sandbox enforces the documented limits (sandbox/apis/limits.py) on a scaled clock and counts
every refusal; no assertion here is about time, only about requests counted at the sandbox.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
from connector_helpers import raw_rows, sandbox_env

from connectors.config import HubConfig
from connectors.ingest import ingest_stream
from connectors.journal import JOURNAL_DIR
from sandbox.apis.limits import SHIPSTATION
from sandbox.server import running_sandbox

CHILD = Path(__file__).with_name("ingest_child.py")
TRACK = "/v2/labels/{label_id}/track"
# 12 vendor seconds a real second: ShipStation's 200 a minute is 200 per 5 real seconds, so the
# ~210 requests of small's three ShipStation streams cannot pass in one window.
SHARED_SCALE = 12.0


def _track_requests(sandbox) -> int:
    return sandbox.stats().get("shipstation", {}).get(TRACK, 0)


def _loads(config: HubConfig, run_id: str) -> dict[str, tuple]:
    with duckdb.connect(str(config.warehouse_path), read_only=True) as con:
        rows = con.execute("select stream, requests, throttled, deferred, rate_limit_wait_seconds from raw._loads "
                           "where run_id = ?", [run_id]).fetchall()
    return {stream: rest for stream, *rest in rows}


def test_two_streams_of_one_account_in_two_processes_share_one_budget_and_stay_under_the_limit(tmp_path):
    with running_sandbox(seed=1, scale="small", time_scale=SHARED_SCALE) as sandbox:
        env = {**os.environ, **sandbox_env(sandbox.url, tmp_path / "data",
                                           HUB_RATE_LIMIT_TIME_SCALE=str(SHARED_SCALE))}
        config = HubConfig.from_env(env)
        ingest_stream("shipstation__labels", config, "labels")
        children = [
            subprocess.Popen([sys.executable, str(CHILD), "together", stream], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            for stream in ("shipstation__tracking", "shipstation__shipments")
        ]
        errors = [child.communicate(timeout=300)[1] for child in children]
        assert [child.returncode for child in children] == [0, 0], errors
        counted = sum(sandbox.stats()["shipstation"].values())
        refused = sandbox.rate_limited().get("shipstation", 0)
    loads = _loads(config, "together")
    # The limit was there to meet: more requests than one window allows, from two processes at once.
    assert counted > SHIPSTATION.requests
    assert loads["shipstation__tracking"][0] > 100 and loads["shipstation__shipments"][0] >= 1
    assert refused == 0, f"the sandbox refused {refused} ShipStation requests: the budget was not shared"
    assert all(throttled == 0 for _, throttled, _, _ in loads.values())
    assert loads["shipstation__tracking"][3] > 0, "the budget never had to wait: the test proves nothing"


def test_a_tracking_run_stopped_mid_budget_resumes_without_asking_again(tmp_path):
    """Night one spends its budget across a killed run and its rerun; night two tracks the rest."""
    night_budget = 12
    world_day = date(2026, 11, 1)
    with running_sandbox(seed=1, scale="tiny", as_of=world_day, time_scale=1.0) as sandbox:
        env = {**os.environ, **sandbox_env(sandbox.url, tmp_path / "data", HUB_END_DATE="2026-10-31",
                                           HUB_SHIPSTATION_TRACKING_REQUESTS_PER_NIGHT=str(night_budget))}
        config = HubConfig.from_env(env)
        ingest_stream("shipstation__labels", config, "labels")
        with duckdb.connect(str(config.warehouse_path), read_only=True) as con:
            delivered = con.execute("select count(*) from raw.shipstation__labels "
                                    "where _record->>'tracking_status' = 'delivered'").fetchone()[0]
        assert delivered > night_budget, "the tiny world must have more delivered labels than one night's budget"

        # At the documented 200 a minute (time scale 1) the run takes seconds: stop it once it has
        # journaled some answers, as a crash or a kill -9 would.
        journal = tmp_path / "data" / "landing" / JOURNAL_DIR / "shipstation__tracking" / "killed.jsonl"
        child = subprocess.Popen([sys.executable, str(CHILD), "killed", "shipstation__tracking"], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while child.poll() is None and time.monotonic() < deadline:
            if journal.exists() and journal.read_bytes().count(b"\n") >= 4:
                child.send_signal(signal.SIGKILL)
                break
            time.sleep(0.02)
        child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL, "the run ended before it could be stopped mid-budget"
        paid = _track_requests(sandbox)
        journaled = journal.read_bytes().count(b"\n")
        assert 4 <= journaled <= paid < night_budget

        ingest_stream("shipstation__tracking", config, "rerun")
        rerun = _track_requests(sandbox) - paid
        tracked_first_night = len(raw_rows(config, "shipstation__tracking"))
        # The rerun asked only for what the killed run had not landed (a request under way when it was
        # killed may be paid and lost), within what was left of the night.
        assert rerun == night_budget - journaled
        assert tracked_first_night == journaled + rerun == night_budget
        assert _loads(config, "rerun")["shipstation__tracking"][2] == delivered - night_budget

        night_two = HubConfig.from_env({**env, "HUB_END_DATE": "2026-11-01"})
        ingest_stream("shipstation__tracking", night_two, "night-two")
        assert _track_requests(sandbox) - paid - rerun == min(night_budget, delivered - tracked_first_night)
    assert not (tmp_path / "data" / "landing" / JOURNAL_DIR / "shipstation__tracking" / "killed.jsonl").exists()


def test_a_night_budget_of_zero_means_no_limit_and_tracking_costs_its_floor(tiny_sandbox, tmp_path):
    config = HubConfig.from_env(sandbox_env(tiny_sandbox.url, tmp_path / "data",
                                            HUB_SHIPSTATION_TRACKING_REQUESTS_PER_NIGHT="0"))
    ingest_stream("shipstation__labels", config, "r")
    report = ingest_stream("shipstation__tracking", config, "r")
    assert report.deferred == 0 and report.requests == report.records > 0
    assert report.requests_per_1000_records == report.floor_per_1000_records == 1000.0


def test_the_request_floor_counts_each_endpoint_a_stream_calls(tmp_path):
    """HubSpot objects: 250 live (3 list pages) and an empty archived list are 4 requests at least, not
    ceil(250 / 100) = 3; a search of 150 fits one 200-record page; associations: one batch per type."""
    import orjson

    from connectors.landing import Lander
    from connectors.limits import request_floor

    def land(stream: str, pages: dict[str, list[dict]]) -> Path:
        lander = Lander(tmp_path / stream)
        for scope, bodies in pages.items():
            for body in bodies:
                lander.write(scope, orjson.dumps(body))
        lander.seal()
        return tmp_path / stream

    live = [{"results": [{"id": str(i)} for i in range(n)]} for n in (100, 100, 50)]
    listed = land("first", {"": [*live, {"results": []}]})
    assert request_floor("hubspot__companies", 250) == 3
    assert request_floor("hubspot__companies", 250, listed) == 4
    searched = land("nightly", {"": [{"total": 150, "results": [{"id": str(i)} for i in range(150)]},
                                     {"results": [{"id": "9", "archived": True}]}]})
    assert request_floor("hubspot__companies", 151, searched) == 2
    batches = land("associations", {f"deals_{t}": [{"results": [{"from": {"id": "1"}}] * 40}]
                                    for t in ("contacts", "companies", "line_items")})
    assert request_floor("hubspot__associations", 120, batches) == 3


def test_a_bulk_csv_page_counts_its_rows_toward_the_floor(tmp_path):
    """A Salesforce object first synced by Bulk (CSV result sets) and then by a query page: one request
    for up to 50,000 rows, one for the query's 2,000; the header and a quoted line break are no record."""
    import orjson

    from connectors.landing import Lander
    from connectors.limits import request_floor

    lander = Lander(tmp_path / "leads")
    for rows in (['"00QA","one"', '"00QB","two\nlines"'], ['"00QC","three"']):
        lander.write("", ('"Id","Description"\n' + "".join(f"{row}\n" for row in rows)).encode(),
                      key='{"job":"750J"}', extension="csv")
    lander.write("", orjson.dumps({"totalSize": 2, "done": True, "records": [{"Id": "00QD"}, {"Id": "00QE"}]}))
    lander.seal()
    assert request_floor("salesforce__leads", 5, tmp_path / "leads") == 2
    bulk_only = Lander(tmp_path / "contacts")
    bulk_only.write("", b'"Id"\n' + b"".join(f'"003{i}"\n'.encode() for i in range(50_001)), extension="csv")
    bulk_only.seal()
    assert request_floor("salesforce__contacts", 50_001, tmp_path / "contacts") == 2
