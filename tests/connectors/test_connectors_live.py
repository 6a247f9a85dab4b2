"""Every stream against the live tiny sandbox: raw tables hold exactly what the vendor shows."""

from __future__ import annotations

import sqlite3

import duckdb
import orjson
import pytest

from connectors.ingest import ingest_stream, replay_landing
from connectors.streams import STREAMS
from sandbox.world import DEFAULT_AS_OF
from sandbox.world.store import ensure_world
from connector_helpers import raw_rows

CLOCK = f"{DEFAULT_AS_OF.isoformat()}T00:00:00.000Z"

# raw table -> (world store resource, _pk of a store row from (scope, id), compare the payload?)
STORE = {
    "hubspot__contacts": ("hubspot/contacts", lambda scope, id_: id_, False),
    "hubspot__companies": ("hubspot/companies", lambda scope, id_: id_, False),
    "hubspot__deals": ("hubspot/deals", lambda scope, id_: id_, False),
    "hubspot__line_items": ("hubspot/line_items", lambda scope, id_: id_, False),
    "meta__insights": ("meta/insights", lambda scope, id_: f"{scope.removeprefix('act_')}:{id_}", False),
    "google_ads__campaign_days": ("google_ads/campaign_days", lambda scope, id_: f"{scope}:{id_}", False),
    "docusign__envelopes": ("docusign/envelopes", lambda scope, id_: id_, True),
    "shipstation__shipments": ("shipstation/shipments", lambda scope, id_: id_, True),
    "shipstation__labels": ("shipstation/labels", lambda scope, id_: id_, True),
}


def visible(resource: str) -> list[tuple[str, str, str]]:
    """(scope, id, payload) of every record the tiny world shows at the default clock."""
    con = sqlite3.connect(f"file:{ensure_world(1, 'tiny')}?mode=ro", uri=True)
    try:
        return con.execute(
            "select scope, id, payload from records where resource = ? and visible_from < ? "
            "and (visible_to is null or visible_to >= ?)",
            [resource, CLOCK, CLOCK],
        ).fetchall()
    finally:
        con.close()


def ingest_with_dependencies(name, config, run_id="run-1"):
    for dependency in STREAMS[name].depends_on:
        ingest_with_dependencies(dependency, config, run_id)
    return ingest_stream(name, config, run_id)


@pytest.mark.parametrize("name", sorted(STORE))
def test_stream_loads_every_visible_record(name, tiny_config):
    report = ingest_with_dependencies(name, tiny_config)
    resource, pk_of, compare_payload = STORE[name]
    expected = {pk_of(scope, id_): orjson.loads(payload) for scope, id_, payload in visible(resource)}
    if resource.startswith("hubspot/"):  # objects deleted by the clock arrive as tombstones (archived=true lists)
        expected |= {pk_of(scope, id_): orjson.loads(payload) for scope, id_, payload in visible(f"{resource}:archived")}
    rows = raw_rows(tiny_config, name)
    assert [pk for pk, *_ in rows] == sorted(expected)
    assert report.inserted == len(expected) and report.quarantined == 0
    if compare_payload:
        assert {pk: orjson.loads(record) for pk, _, _, record in rows} == expected
    else:  # HubSpot, Meta and Google answer with the requested fields only, each one as stored
        for pk, _, _, record in rows:
            assert selected_from(orjson.loads(record), expected[pk]), pk


def selected_from(got, want) -> bool:
    """Whether every field of `got` is in `want` with the same value (nested objects too)."""
    if isinstance(got, dict):
        return isinstance(want, dict) and all(k in want and selected_from(v, want[k]) for k, v in got.items())
    return got == want


def test_tracking_holds_every_delivered_label(tiny_config):
    ingest_with_dependencies("shipstation__tracking", tiny_config)
    delivered = {
        id_: orjson.loads(payload)
        for _, id_, payload in visible("shipstation/tracking")
        if orjson.loads(payload)["status_code"] == "DE"
    }
    rows = raw_rows(tiny_config, "shipstation__tracking")
    assert delivered, "the tiny world has delivered labels"
    assert {pk: orjson.loads(record) for pk, _, _, record in rows} == delivered


def test_associations_cover_every_deal_association(tiny_config):
    ingest_with_dependencies("hubspot__associations", tiny_config)
    # HubSpot answers a merged-away contact's survivor and leaves deleted objects out.
    merged = {id_: orjson.loads(payload)["mergedInto"] for _, id_, payload in visible("hubspot/contacts:merged")}
    expected = {}
    for _, id_, payload in visible("hubspot/deals"):
        for to_type, assoc in orjson.loads(payload)["associations"].items():
            deleted = {archived_id for _, archived_id, _ in visible(f"hubspot/{to_type}:archived")}
            ids = {merged.get(a["id"], a["id"]) for a in assoc["results"] if a["id"] not in deleted}
            if ids:
                expected[f"deals_{to_type}:{id_}"] = sorted(ids)
    rows = raw_rows(tiny_config, "hubspot__associations")
    got = {pk: sorted(str(t["toObjectId"]) for t in orjson.loads(record)["to"]) for pk, _, _, record in rows}
    assert got == expected
    assert {scope for _, scope, _, _ in rows} == {"deals_contacts", "deals_companies", "deals_line_items"}


def test_ecb_rates_cover_every_currency_and_day(tiny_config):
    report = ingest_with_dependencies("ecb__rates", tiny_config)
    expected = {
        id_: orjson.loads(payload)["rate"]
        for _, id_, payload in visible("ecb/rates")
        if orjson.loads(payload)["date"] >= "2025-10-01"
    }
    rows = raw_rows(tiny_config, "ecb__rates")
    assert {pk: orjson.loads(record)["OBS_VALUE"] for pk, _, _, record in rows} == expected
    assert report.cursor_after == max(pk.split(":")[1] for pk in expected)


def test_landing_layout_and_replay_without_the_api(tiny_config, tiny_sandbox):
    report = ingest_stream("meta__insights", tiny_config, "run-a")
    landed = sorted(p.relative_to(tiny_config.landing_dir).as_posix() for p in tiny_config.landing_dir.rglob("pages-*"))
    assert landed[0] == "run-a/meta/insights/act_1001/pages-000001.json"
    assert {p.split("/")[3] for p in landed} == {"act_1001", "act_1002", "act_1003"}
    before = raw_rows(tiny_config, "meta__insights")
    con = duckdb.connect(str(tiny_config.warehouse_path))
    con.execute("delete from raw.meta__insights")
    con.close()
    requests_before = tiny_sandbox.stats()["meta"]
    replayed = replay_landing("meta__insights", tiny_config, "run-a")
    assert tiny_sandbox.stats()["meta"] == requests_before
    assert raw_rows(tiny_config, "meta__insights") == before
    assert (replayed.records, replayed.inserted, replayed.requests) == (report.records, report.inserted, 0)


def test_run_twice_equals_run_once(tiny_config):
    first = {name: ingest_stream(name, tiny_config, "run-1") for name in STREAMS}
    tables = {name: raw_rows(tiny_config, name) for name in STREAMS}
    second = {name: ingest_stream(name, tiny_config, "run-2") for name in STREAMS}
    assert {name: raw_rows(tiny_config, name) for name in STREAMS} == tables
    for name, report in second.items():
        assert (report.inserted, report.updated, report.quarantined) == (0, 0, 0), name
        assert report.cursor_after == first[name].cursor_after, name
    con = duckdb.connect(str(tiny_config.warehouse_path), read_only=True)
    loads = con.execute("select run_id, count(*) from raw._loads group by run_id order by run_id").fetchall()
    con.close()
    assert loads == [("run-1", len(STREAMS)), ("run-2", len(STREAMS))]
    assert all("token" not in str(report.as_metadata()).lower() for report in second.values())
