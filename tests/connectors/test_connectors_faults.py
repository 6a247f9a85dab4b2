"""Fault equivalence: with every sandbox fault switched on, raw tables equal a fault-free run."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import duckdb
from connector_helpers import NEW_VENDOR_STREAMS, new_vendor_env, raw_rows, sandbox_env

from connectors.config import HubConfig
from connectors.ingest import StreamReport, ingest_stream
from connectors.streams import CATALOGUE, STREAMS
from sandbox.server import running_sandbox

# Every kind (429/throttle, 5xx, dropped connections, slow answers, malformed and truncated
# bodies, duplicated and shifted pages) on every vendor.
FAULTS = "all:all@0.05"


def ingest_by_vendor(config: HubConfig, run_id: str, names: list[str] | None = None) -> dict[str, StreamReport]:
    """Each vendor's streams (`names`, default `STREAMS`) in order, vendors in parallel (their rate-limit
    waits overlap)."""
    systems: dict[str, list[str]] = {}
    for name in names or STREAMS:
        systems.setdefault(CATALOGUE[name].system, []).append(name)

    def run(names: list[str]) -> list[StreamReport]:
        return [ingest_stream(name, config, run_id) for name in names]

    with ThreadPoolExecutor(max_workers=len(systems)) as pool:
        return {report.stream: report for reports in pool.map(run, systems.values()) for report in reports}


def test_small_world_with_every_fault_equals_a_fault_free_run(tmp_path):
    with running_sandbox(seed=1, scale="small") as sb:
        clean = HubConfig.from_env(sandbox_env(sb.url, tmp_path / "clean"))
        clean_reports = ingest_by_vendor(clean, "clean")
    with running_sandbox(seed=1, scale="small", faults=FAULTS, slow_seconds=0.3) as sb:
        faulty = HubConfig.from_env(sandbox_env(sb.url, tmp_path / "faulty", HUB_HTTP_READ_TIMEOUT_SECONDS="5"))
        reports = ingest_by_vendor(faulty, "faulty")

    for name in STREAMS:
        assert raw_rows(faulty, name) == raw_rows(clean, name), name
        assert reports[name].cursor_after == clean_reports[name].cursor_after, name
    # The faults really happened, were retried, and the reports say so.
    assert sum(r.retries for r in reports.values()) > 20
    assert sum(r.rate_limit_wait_seconds for r in reports.values()) > 0
    assert all(r.quarantined == 0 for r in reports.values())
    con = duckdb.connect(str(faulty.warehouse_path), read_only=True)
    retries = con.execute("select sum(retries) from raw._loads where run_id = 'faulty'").fetchone()[0]
    con.close()
    assert retries == sum(r.retries for r in reports.values())


def test_salesforce_and_shippo_with_every_fault_equal_a_fault_free_run(clean_tiny_new_vendor_tables, tmp_path):
    faults = "salesforce:all@0.05,shippo:all@0.05"
    with running_sandbox(seed=1, scale="tiny", faults=faults, slow_seconds=0.3) as sb:
        config = HubConfig.from_env(new_vendor_env(sb.url, tmp_path / "faulty", HUB_HTTP_READ_TIMEOUT_SECONDS="5"))
        reports = ingest_by_vendor(config, "faulty", NEW_VENDOR_STREAMS)
    for name in NEW_VENDOR_STREAMS:
        assert raw_rows(config, name) == clean_tiny_new_vendor_tables[name], name
    assert {report.stream.split("__")[0] for report in reports.values() if report.retries} == {"salesforce", "shippo"}
    assert all(r.quarantined == 0 for r in reports.values())
