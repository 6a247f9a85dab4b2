"""Paged listings return exactly the visible records, in the vendor's order, page after page."""

import json
import sqlite3
from pathlib import Path

import httpx
import pytest

from sandbox.credentials import DOCUSIGN_ACCOUNT_ID
from sandbox_helpers import AUTH

CLOCK = "2026-11-01T00:00:00.000Z"


def expected(world_file: Path, resource: str, key: str, lo: str = "", hi: str = "~", desc: bool = False,
             status: str | None = None) -> list[str]:
    """Ids sorted by (key, id) from the store's visible payloads, computed in Python."""
    db = sqlite3.connect(world_file)
    rows = db.execute("select id, modified_at, payload from records where resource = ? and visible_from < ? "
                      "and (visible_to is null or visible_to >= ?)", (resource, CLOCK, CLOCK)).fetchall()
    picked = []
    for id_, modified, payload in rows:
        record = json.loads(payload)
        value = modified if key == "modified_at" else record[key]
        if lo <= value <= hi and (status is None or record.get("shipment_status") == status):
            picked.append((value, id_))
    return [i for _, i in sorted(picked, reverse=desc)]


def shipstation_ids(http: httpx.Client, kind: str, query: str) -> list[str]:
    ids, url = [], f"/shipstation/v2/{kind}?page_size=7&{query}"
    while url:
        body = http.get(url, headers=AUTH["shipstation"]).json()
        ids += [r[f"{kind[:-1]}_id"] for r in body[kind]]
        assert body["total"] >= len(ids)
        url = body["links"]["next"].get("href")
    return ids


@pytest.mark.parametrize("direction", ["asc", "desc"])
@pytest.mark.parametrize("status", [None, "label_purchased"])
def test_shipments_by_modified_time(http: httpx.Client, world_file: Path, direction: str, status: str | None) -> None:
    query = f"sort_by=modified_at&sort_dir={direction}&modified_at_start=2026-03-01T00:00:00Z"
    if status:
        query += f"&shipment_status={status}"
    got = shipstation_ids(http, "shipments", query)
    assert got == expected(world_file, "shipstation/shipments", "modified_at", lo="2026-03-01T00:00:00.000Z",
                           desc=direction == "desc", status=status)
    assert len(got) > 10


def test_labels_by_creation_time(http: httpx.Client, world_file: Path) -> None:
    got = shipstation_ids(http, "labels", "sort_by=created_at&sort_dir=asc&created_at_start=2026-02-01T00:00:00Z"
                                          "&created_at_end=2026-09-30T23:59:59Z")
    assert got == expected(world_file, "shipstation/labels", "created_at", "2026-02-01T00:00:00.000Z",
                           "2026-09-30T23:59:59.000Z")
    assert len(got) > 10


@pytest.mark.parametrize("status", [None, "completed"])
def test_docusign_status_changes(http: httpx.Client, world_file: Path, status: str | None) -> None:
    base = "/docusign/restapi/v2.1"
    url = f"{base}/accounts/{DOCUSIGN_ACCOUNT_ID}/envelopes?from_date=2026-02-01&to_date=2026-10-01&count=5"
    if status:
        url += f"&status={status}"
    got = []
    while url:
        body = http.get(url, headers=AUTH["docusign"]).json()
        got += [e["envelopeId"] for e in body.get("envelopes", [])]
        url = body["nextUri"] and base + body["nextUri"]
    want = expected(world_file, "docusign/envelopes", "modified_at", "2026-02-01T00:00:00.000Z", "2026-09-30T23:59:59.999Z")
    if status:
        db = sqlite3.connect(world_file)
        done = {i for (i,) in db.execute("select id from records where resource = 'docusign/envelopes' and "
                                         "json_extract(payload, '$.status') = ? and visible_from < ? and "
                                         "(visible_to is null or visible_to >= ?)", (status, CLOCK, CLOCK))}
        want = [i for i in want if i in done]
    assert got == want and len(got) > 5


def test_hubspot_search_cap(http: httpx.Client) -> None:
    r = http.post("/hubspot/crm/v3/objects/contacts/search", headers=AUTH["hubspot"],
                  json={"limit": 100, "after": "10000"})
    assert r.status_code == 400 and r.json()["category"] == "VALIDATION_ERROR"
    ok = http.post("/hubspot/crm/v3/objects/contacts/search", headers=AUTH["hubspot"], json={"limit": 200, "after": "9800"})
    assert ok.status_code == 200
