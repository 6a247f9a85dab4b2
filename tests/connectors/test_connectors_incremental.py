"""Incremental runs: ingest at D, move the clock to D+1, ingest again; equals a full ingest at D+1."""

from __future__ import annotations

from datetime import timedelta

from connector_helpers import raw_rows, sandbox_env

from connectors.config import HubConfig
from connectors.ingest import ingest_stream
from connectors.streams import STREAMS
from sandbox.server import running_sandbox
from sandbox.world import DEFAULT_AS_OF


def ingest_all(config: HubConfig, run_id: str) -> dict:
    """Every stream once, dependencies first (STREAMS lists them in a valid order)."""
    return {name: ingest_stream(name, config, run_id) for name in STREAMS}


def request_delta(after: dict, before: dict) -> dict[tuple[str, str], int]:
    return {
        (vendor, path): count - before.get(vendor, {}).get(path, 0)
        for vendor, paths in after.items()
        for path, count in paths.items()
        if count - before.get(vendor, {}).get(path, 0)
    }


def test_next_day_run_fetches_only_its_window_and_equals_a_full_run(tmp_path):
    day, next_day = DEFAULT_AS_OF, DEFAULT_AS_OF + timedelta(days=1)
    with running_sandbox(seed=1, scale="tiny", as_of=day) as sb:
        incremental = HubConfig.from_env(sandbox_env(sb.url, tmp_path / "incremental", HUB_END_DATE=str(next_day)))
        full = HubConfig.from_env(sandbox_env(sb.url, tmp_path / "full", HUB_END_DATE=str(next_day)))
        first = ingest_all(incremental, "day-1")
        sb.set_clock(next_day)
        before = sb.stats()
        second = ingest_all(incremental, "day-2")
        requests = request_delta(sb.stats(), before)
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
    assert requests == {
        ("hubspot", "/crm/v3/objects/{object_type}/search"): 4,  # search since the cursor, not the list
        ("hubspot", "/crm/v4/associations/{from_type}/{to_type}/batch/read"): 3,
        ("meta", "/{version}/act_{account}/insights"): 3,
        ("google_ads", "/{version}/customers/{customer}/googleAds:searchStream"): 2,
        ("docusign", "/restapi/v2.1/accounts/{account}/envelopes"): 1,
        ("shipstation", "/v2/shipments"): 1,
        ("shipstation", "/v2/labels"): 1,
        **({("shipstation", "/v2/labels/{label_id}/track"): newly_delivered} if newly_delivered else {}),
        ("ecb", "/service/data/EXR/{key}"): 1,
    }
