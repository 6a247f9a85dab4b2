"""HubSpot's search index lags behind writes from the start when `serve --hubspot-search-lag` says so."""

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from sandbox.__main__ import main
from sandbox.server import RunningSandbox, running_sandbox
from sandbox.world import DEFAULT_AS_OF
from sandbox_helpers import AUTH, SEED

WEEK_LAG = 7 * 86_400  # each version of the last week is searchable 0..7 days after it was written
SINCE = f"{DEFAULT_AS_OF - timedelta(days=7)}T00:00:00.000Z"


@pytest.fixture(scope="module")
def lagging(world_dir: Path) -> Iterator[RunningSandbox]:
    with running_sandbox(seed=SEED, scale="tiny", data_dir=world_dir, search_lag_seconds=WEEK_LAG) as sb:
        yield sb


def searched(url: str) -> set[str]:
    """Contact ids the search API finds modified since SINCE (one page holds the tiny world's week)."""
    body = {"filterGroups": [{"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE", "value": SINCE}]}],
            "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}], "limit": 200}
    page = httpx.post(f"{url}/hubspot/crm/v3/objects/contacts/search", json=body, headers=AUTH["hubspot"]).json()
    assert "paging" not in page
    return {r["id"] for r in page["results"]}


def test_the_serve_flag_sets_the_lag_search_starts_with(lagging: RunningSandbox, world_file: Path) -> None:
    clock = f"{DEFAULT_AS_OF}T00:00:00.000Z"
    with sqlite3.connect(world_file) as db:
        written = {i for (i,) in db.execute(
            "select id from records where resource = 'hubspot/contacts' and visible_from < ? and "
            "(visible_to is null or visible_to >= ?) and modified_at >= ?", (clock, clock, SINCE))}
    assert httpx.get(f"{lagging.url}/hubspot/_admin/search-lag").json() == {"seconds": WEEK_LAG}
    late = searched(lagging.url)
    assert late < written, "a week's lag hid none of the week's writes from search"
    httpx.post(f"{lagging.url}/hubspot/_admin/search-lag", json={"seconds": 0}).raise_for_status()
    try:
        assert searched(lagging.url) == written  # the admin route still switches it while serving
    finally:
        httpx.post(f"{lagging.url}/hubspot/_admin/search-lag", json={"seconds": WEEK_LAG}).raise_for_status()


def test_a_negative_lag_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--scale", "tiny", "--hubspot-search-lag=-5"]) == 2
    assert "--hubspot-search-lag -5: use 0" in capsys.readouterr().err
