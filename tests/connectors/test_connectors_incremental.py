"""Incremental runs: ingest at D, move the clock to D+1, ingest again; equals a full ingest at D+1."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

from connector_helpers import NEW_VENDOR_STREAMS, new_vendor_env, raw_rows, sandbox_env

from connectors.config import HubConfig
from connectors.ingest import ingest_stream
from connectors.streams import STREAMS
from sandbox.server import running_sandbox
from sandbox.world import DEFAULT_AS_OF


def ingest_all(config: HubConfig, run_id: str, names: list[str] | None = None) -> dict:
    """Every stream (`names`, default `STREAMS`) once, dependencies first (both list them in a valid order)."""
    return {name: ingest_stream(name, config, run_id) for name in names or STREAMS}


# What each request was, whether the sandbox counts concrete paths or path templates.
ENDPOINTS = [
    ("hubspot", re.compile(r"/crm/v3/objects/[^/]+/search$"), "search"),
    ("hubspot", re.compile(r"/crm/v3/objects/[^/]+$"), "list"),
    ("hubspot", re.compile(r"/crm/v4/associations/"), "associations"),
    ("meta", re.compile(r"/insights$"), "insights"),
    ("google_ads", re.compile(r"googleAds:searchStream$"), "searchStream"),
    ("docusign", re.compile(r"/envelopes$"), "envelopes"),
    ("shipstation", re.compile(r"/v2/shipments$"), "shipments"),
    ("shipstation", re.compile(r"/v2/labels$"), "labels"),
    ("shipstation", re.compile(r"/track$"), "track"),
    ("ecb", re.compile(r"/service/data/EXR/"), "rates"),
    ("salesforce", re.compile(r"/queryAll$"), "queryAll"),
    ("shippo", re.compile(r"^/tracks/"), "tracks"),
]


def by_endpoint(stats: dict[str, dict[str, int]]) -> Counter:
    """Request counts per (vendor, endpoint kind)."""
    counts: Counter = Counter()
    for vendor, paths in stats.items():
        for path, count in paths.items():
            kind = next((k for v, pattern, k in ENDPOINTS if v == vendor and pattern.search(path)), path)
            counts[(vendor, kind)] += count
    return counts


def test_next_day_run_fetches_only_its_window_and_equals_a_full_run(tmp_path):
    day, next_day = DEFAULT_AS_OF, DEFAULT_AS_OF + timedelta(days=1)
    with running_sandbox(seed=1, scale="tiny", as_of=day) as sb:
        incremental = HubConfig.from_env(sandbox_env(sb.url, tmp_path / "incremental", HUB_END_DATE=str(next_day)))
        full = HubConfig.from_env(sandbox_env(sb.url, tmp_path / "full", HUB_END_DATE=str(next_day)))
        first = ingest_all(incremental, "day-1")
        sb.set_clock(next_day)
        before = sb.stats()
        second = ingest_all(incremental, "day-2")
        requests = by_endpoint(sb.stats()) - by_endpoint(before)
        full_reports = ingest_all(full, "full")

    for name in STREAMS:
        assert raw_rows(incremental, name) == raw_rows(full, name), name
    # The world moved by a day: something new or changed arrived in the big streams.
    for name in ("hubspot__contacts", "meta__insights", "google_ads__campaign_days"):
        assert second[name].inserted + second[name].updated > 0, name
    # ... and the second run asked only for its window: far fewer records than a full run.
    for name in STREAMS:
        assert second[name].records < full_reports[name].records, name
        assert second[name].cursor_before == first[name].cursor_after, name
    newly_delivered = second["shipstation__tracking"].inserted
    assert requests == Counter(
        {
            ("hubspot", "search"): 4,  # one search since the cursor per object type ...
            ("hubspot", "list"): 4,  # ... and one page of archived objects (tombstones) per type
            ("hubspot", "associations"): 3,
            ("meta", "insights"): 3,  # one page per ad account
            ("google_ads", "searchStream"): 2,  # one per customer
            ("docusign", "envelopes"): 1,
            ("shipstation", "shipments"): 1,
            ("shipstation", "labels"): 1,
            ("shipstation", "track"): second["shipstation__tracking"].inserted,  # newly delivered only
            ("ecb", "rates"): 1,
        }
    )


def test_salesforce_and_shippo_next_day_runs_fetch_only_their_window_and_equal_a_full_run(tmp_path):
    day, next_day = DEFAULT_AS_OF, DEFAULT_AS_OF + timedelta(days=1)
    with running_sandbox(seed=1, scale="tiny", as_of=day) as sb:
        incremental = HubConfig.from_env(new_vendor_env(sb.url, tmp_path / "incremental", HUB_END_DATE=str(next_day)))
        full = HubConfig.from_env(new_vendor_env(sb.url, tmp_path / "full", HUB_END_DATE=str(next_day)))
        first = ingest_all(incremental, "day-1", NEW_VENDOR_STREAMS)
        sb.set_clock(next_day)
        before = sb.stats()
        second = ingest_all(incremental, "day-2", NEW_VENDOR_STREAMS)
        requests = by_endpoint(sb.stats()) - by_endpoint(before)
        full_reports = ingest_all(full, "full", NEW_VENDOR_STREAMS)

    for name in NEW_VENDOR_STREAMS:
        assert raw_rows(incremental, name) == raw_rows(full, name), name
        assert second[name].cursor_before == first[name].cursor_after, name
    assert sum(second[name].inserted + second[name].updated for name in NEW_VENDOR_STREAMS) > 0
    for name in ("salesforce__leads", "shippo__shipments"):
        assert second[name].records < full_reports[name].records, name
    objects = sum(1 for name in NEW_VENDOR_STREAMS if name.startswith("salesforce__"))
    assert requests == Counter({
        ("salesforce", "queryAll"): objects,  # one page since the cursor per object, no COUNT() after the first sync
        ("shippo", "/orders"): 1, ("shippo", "/transactions"): 1,  # newest first, one page reaches past the window
        ("shippo", "/shipments"): 1,  # one slice from the cursor
        ("shippo", "tracks"): second["shippo__tracking"].inserted,  # newly delivered only
    }), requests
