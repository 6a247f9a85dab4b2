"""HubSpot search past 10,000 changed objects: each query stays under the cap, nothing is lost."""

from __future__ import annotations

from bisect import bisect_left

import duckdb
import httpx
import orjson

from connectors.config import HubConfig
from connectors.ingest import ingest_stream

CAP = 10_000
CHANGED = 10_450  # more objects modified since the cursor than one search may page through


def modified_at(i: int) -> str:
    """Contact i's last-modified time: ten contacts share each second, so windows restart mid-second."""
    second = i // 10
    return f"2026-02-01T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}.000Z"


def contact(i: int, modified: str) -> dict:
    return {"id": str(i), "properties": {"createdate": "2026-01-01T00:00:00.000Z", "lastmodifieddate": modified},
            "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": modified, "archived": False}


def fake_hubspot() -> tuple[httpx.MockTransport, list[dict]]:
    """List endpoint with one old contact; search over CHANGED newer ones, enforcing the cap."""
    old = [contact(0, "2026-01-01T00:00:00.000Z")]
    changed = [contact(i, modified_at(i)) for i in range(1, CHANGED + 1)]  # already in search order
    keys = [c["properties"]["lastmodifieddate"] for c in changed]
    searches = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":  # nothing archived
            return httpx.Response(200, content=orjson.dumps({"results": [] if request.url.params["archived"] == "true" else old}))
        body = orjson.loads(request.content)
        searches.append(body)
        after, limit = int(body.get("after", 0)), body["limit"]
        if after + limit > CAP:
            return httpx.Response(400, json={"status": "error", "message": "after + limit exceeds 10000"})
        since = body["filterGroups"][0]["filters"][0]["value"]
        hits = changed[bisect_left(keys, since) :]
        page = {"total": len(hits), "results": hits[after : after + limit]}
        if after + limit < len(hits):
            page["paging"] = {"next": {"after": str(after + limit)}}
        return httpx.Response(200, content=orjson.dumps(page))

    return httpx.MockTransport(handler), searches


def test_search_restarts_from_the_last_modified_time_before_the_cap(tmp_path):
    config = HubConfig.from_env(
        {"HUB_DATA_DIR": str(tmp_path), "HUB_HUBSPOT_BASE_URL": "https://api.hubapi.test", "HUB_HUBSPOT_TOKEN": "t"}
    )
    transport, searches = fake_hubspot()
    ingest_stream("hubspot__contacts", config, "full", transport=transport)
    report = ingest_stream("hubspot__contacts", config, "incremental", transport=transport)

    windows = [s["filterGroups"][0]["filters"][0]["value"] for s in searches if "after" not in s]
    # the first window reaches back the default overlap (search lags behind writes)
    assert len(windows) == 2 and windows[0] == "2025-12-31T23:00:00.000Z" < windows[1]
    assert all(int(s.get("after", 0)) + s["limit"] <= CAP for s in searches)
    con = duckdb.connect(str(config.warehouse_path), read_only=True)
    ids = con.execute("select count(*), min(_pk::int), max(_pk::int) from raw.hubspot__contacts").fetchone()
    con.close()
    assert ids == (CHANGED + 1, 0, CHANGED)
    assert report.inserted == CHANGED
    assert report.cursor_after == modified_at(CHANGED)
