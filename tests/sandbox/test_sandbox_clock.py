"""The clock: the API shows the world as it stood; nothing appears before it exists; days add records."""

import hashlib
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from sandbox.apis.world import World
from sandbox.server import RunningSandbox
from sandbox.world.store import generate
from pulling import pull
from sandbox_helpers import AUTH, SEED


@pytest.fixture
def clock(server: RunningSandbox) -> Iterator[RunningSandbox]:
    """The session server; its clock goes back to the default afterwards."""
    yield server
    server.set_clock("2026-11-01")


def test_records_never_appear_before_they_exist(clock: RunningSandbox, http: httpx.Client) -> None:
    previous: dict[str, dict[str, str]] | None = None
    for as_of in ("2026-02-10", "2026-06-01", "2026-06-02", "2027-01-31"):
        clock.set_clock(as_of)
        now = pull(http)
        for resource, records in now.items():
            assert records, f"{resource} is empty at {as_of}"
            dated = resource in ("meta", "google", "ecb")
            limit = (date.fromisoformat(as_of) - timedelta(days=1)).isoformat() if dated else as_of
            late = {k: v for k, v in records.items() if v[:10] >= limit}
            assert not late, f"{resource} shows records from the future at {as_of}: {list(late.items())[:3]}"
            if previous is not None:
                lost = set(previous[resource]) - set(records)
                # Only a HubSpot object deleted (archived) or merged away by the new clock may go.
                gone = deleted_hubspot_ids(http, resource) if resource in HUBSPOT_OBJECTS else set()
                assert lost <= gone, f"{resource} lost records it never deleted moving to {as_of}: {sorted(lost - gone)[:5]}"
        previous = now


HUBSPOT_OBJECTS = ("contacts", "companies", "deals", "line_items")


def deleted_hubspot_ids(http: httpx.Client, kind: str) -> set[str]:
    """Ids HubSpot lists as archived at the clock, plus contacts merged into a survivor (hs_merged_object_ids)."""
    gone: set[str] = set()
    url = f"/hubspot/crm/v3/objects/{kind}?limit=100&archived=true"
    while url:
        body = http.get(url, headers=AUTH["hubspot"]).json()
        gone.update(r["id"] for r in body["results"])
        url = body.get("paging", {}).get("next", {}).get("link")
    if kind == "contacts":
        url = "/hubspot/crm/v3/objects/contacts?limit=100&properties=hs_merged_object_ids"
        while url:
            body = http.get(url, headers=AUTH["hubspot"]).json()
            for record in body["results"]:
                merged = record["properties"].get("hs_merged_object_ids") or ""
                gone.update(part for part in merged.split(";") if part)
            url = body.get("paging", {}).get("next", {}).get("link")
    return gone


def test_one_day_adds_about_one_percent(clock: RunningSandbox, http: httpx.Client) -> None:
    clock.set_clock("2026-11-01")
    before = pull(http)
    clock.set_clock("2026-11-02")
    after = pull(http)
    total_before = sum(len(v) for v in before.values())
    added = sum(len(set(after[k]) - set(before[k])) for k in before)
    assert 0.002 * total_before <= added <= 0.03 * total_before
    assert len(after["meta"]) > len(before["meta"]) and len(after["ecb"]) >= len(before["ecb"])


def test_modified_since_queries_see_updates_when_the_clock_moves(clock: RunningSandbox, http: httpx.Client) -> None:
    def modified_since(as_of: str, since_ms: str) -> set[str]:
        clock.set_clock(as_of)
        body = {"filterGroups": [{"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": since_ms}]}],
                "limit": 200}
        return {r["id"] for r in http.post("/hubspot/crm/v3/objects/deals/search", json=body,
                                           headers=AUTH["hubspot"]).json()["results"]}
    since = "1779753600000"  # 2026-05-26
    early, late = modified_since("2026-06-01", since), modified_since("2026-07-01", since)
    assert early < late


def test_admin_clock_rejects_dates_outside_the_world(clock: RunningSandbox, http: httpx.Client) -> None:
    assert http.post("/_admin/clock", json={"as_of": "2030-01-01"}).status_code == 400
    assert http.post("/_admin/clock", json={"when": "2026-01-01"}).status_code == 400
    assert http.get("/_admin/clock").json() == {"as_of": "2026-11-01"}


def test_same_seed_same_bytes(tmp_path: Path, world_file: Path) -> None:
    again = generate(SEED, "tiny", tmp_path / "again.sqlite")
    other = generate(SEED + 1, "tiny", tmp_path / "other.sqlite")
    digest = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
    assert digest(again) == digest(world_file)
    assert digest(other) != digest(world_file)


def test_same_request_same_response_bytes(http: httpx.Client) -> None:
    url = "/shipstation/v2/shipments?page_size=50&sort_by=modified_at&sort_dir=asc"
    assert http.get(url, headers=AUTH["shipstation"]).content == http.get(url, headers=AUTH["shipstation"]).content


def test_a_store_from_other_generator_code_is_generated_again(tmp_path: Path, world_file: Path) -> None:
    from sandbox.world.store import ensure_world, is_complete

    copy = tmp_path / world_file.name
    copy.write_bytes(world_file.read_bytes())
    assert is_complete(copy)
    with sqlite3.connect(copy) as db:
        db.execute("update meta set value = 'older-code' where key = 'generator'")
    db.close()
    assert not is_complete(copy)
    assert ensure_world(SEED, "tiny", tmp_path) == copy and is_complete(copy)
    assert hashlib.sha256(copy.read_bytes()).digest() == hashlib.sha256(world_file.read_bytes()).digest()


def test_no_version_is_visible_before_it_was_modified(world_file: Path) -> None:
    """World.ordering reads incremental tails through the modified index bounded by the clock, which
    holds only while every version is modified no later than it becomes visible."""
    with sqlite3.connect(f"file:{world_file}?mode=ro", uri=True) as db:
        early = db.execute("select resource, id, modified_at, visible_from from records "
                           "where modified_at > visible_from limit 3").fetchall()
    assert not early, f"versions visible before they were modified: {early}"


@pytest.mark.parametrize("as_of", ["2026-06-01", "2026-11-01"])
def test_an_incremental_tail_pages_like_the_whole_ordering(world_file: Path, as_of: str) -> None:
    """The tail read for a `since` window returns the same rows, in the same order, as the same
    range of the ordering built from a whole scan."""
    since = "2026-05-20T00:00:00.000Z"
    tail_world, whole_world = World(world_file, date.fromisoformat(as_of)), World(world_file, date.fromisoformat(as_of))
    for resource in ("hubspot/contacts", "hubspot/deals", "shipstation/shipments"):
        tail = tail_world.ordering(resource, "", "modified_at", since=since)
        whole = whole_world.ordering(resource, "", "modified_at")
        start, end = whole.bounds(since, None)
        assert tail is not whole and len(tail.keys) < len(whole.keys), resource
        assert tail.rowids == whole.rowids[start:end] and end > start, resource
        assert tail.bounds("2026-05-25T00:00:00.000Z", None, lo_inclusive=False)[1] == len(tail.keys)
