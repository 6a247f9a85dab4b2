"""The Salesforce sandbox over real HTTP: its token endpoint, SOQL query/queryAll paging, Bulk API 2.0
query jobs, Sforce-Limit-Info and the daily allocation, its errors, and how the world maps onto it."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sandbox.credentials import OAUTH_CLIENTS, SANDBOX_CREDENTIALS
from sandbox.world.salesforce import sf_id

SESSION = {"Authorization": f"Bearer {SANDBOX_CREDENTIALS['salesforce']['access_token']}"}
DATA = "/salesforce/services/data/v67.0"
LEADS = "SELECT Id, IsDeleted, MasterRecordId, Email, SystemModstamp FROM Lead ORDER BY SystemModstamp, Id"


def query(http: httpx.Client, kind: str, soql: str, batch: int | None = None) -> list[dict]:
    """Every page of a query, following nextRecordsUrl (a path on the instance)."""
    headers = {**SESSION, **({"Sforce-Query-Options": f"batchSize={batch}"} if batch else {})}
    pages = [http.get(f"{DATA}/{kind}", params={"q": soql}, headers=headers)]
    while True:
        assert pages[-1].status_code == 200, pages[-1].text
        link = pages[-1].json().get("nextRecordsUrl")
        if not link:
            return [p.json() for p in pages]
        pages.append(http.get("/salesforce" + link, headers=headers))


@pytest.fixture
def allocation(http: httpx.Client) -> Iterator[None]:
    """Restores the session server's daily allocation after a test that lowers it."""
    before = http.get("/salesforce/_admin/allocation").json()["requests"]
    yield
    http.post("/salesforce/_admin/allocation", json={"requests": before})


def test_client_credentials_token_names_the_instance(http: httpx.Client, server) -> None:  # noqa: ANN001
    client = OAUTH_CLIENTS["salesforce"]
    answer = http.post("/salesforce/services/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": client["client_id"], "client_secret": client["client_secret"]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["instance_url"] == server.url + "/salesforce" and body["token_type"] == "Bearer"
    assert "expires_in" not in body  # a session lasts the org's timeout
    refused = http.post("/salesforce/services/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": client["client_id"], "client_secret": "wrong"})
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_client"
    issued = http.get(f"{DATA}/query", params={"q": "SELECT Id FROM Account"},
                      headers={"Authorization": f"Bearer {body['access_token']}"})
    assert issued.status_code == 200, issued.text


def test_query_pages_follow_next_records_url_and_query_all_adds_deletions(http: httpx.Client) -> None:
    paged = query(http, "query", LEADS, batch=200)
    assert len(paged) >= 2, "the tiny world's leads fit in one batch of 200: paging is not exercised"
    records = [r for p in paged for r in p["records"]]
    assert len(records) == paged[0]["totalSize"] == len({r["Id"] for r in records})
    assert all(not r["IsDeleted"] for r in records)
    assert [r["SystemModstamp"] for r in records] == sorted(r["SystemModstamp"] for r in records)
    clock = http.get("/_admin/clock").json()["as_of"]
    http.post("/_admin/clock", json={"as_of": "2027-01-31"})  # late enough for merges in every tiny world
    try:
        live = [r for p in query(http, "query", LEADS) for r in p["records"]]
        everything = [r for p in query(http, "queryAll", LEADS) for r in p["records"]]
    finally:
        http.post("/_admin/clock", json={"as_of": clock})
    deleted = [r for r in everything if r["IsDeleted"]]
    assert len(everything) == len(live) + len(deleted)
    assert any(r["MasterRecordId"] for r in deleted) and any(not r["MasterRecordId"] for r in deleted), \
        "the tiny world should both delete and merge leads"


def test_a_capped_batch_pages_without_the_header(http: httpx.Client) -> None:
    assert http.post("/salesforce/_admin/batch", json={"records": 50}).status_code == 200
    try:
        pages = query(http, "queryAll", "SELECT Id FROM Opportunity")
    finally:
        http.post("/salesforce/_admin/batch", json={"records": 2000})
    assert len(pages) > 1 and all(len(p["records"]) <= 50 for p in pages)
    assert sum(len(p["records"]) for p in pages) == pages[0]["totalSize"]


def test_since_filter_and_errors(http: httpx.Client) -> None:
    since = "2026-10-01T00:00:00Z"
    recent = [r for p in query(http, "queryAll", f"SELECT Id, SystemModstamp FROM Opportunity WHERE SystemModstamp >= {since}")
              for r in p["records"]]
    assert recent and all(r["SystemModstamp"] >= "2026-10-01T00:00:00.000+0000" for r in recent)
    cases = [
        (f"{DATA}/query", {"q": "SELECT Id, Nope__c FROM Lead"}, SESSION, 400, "INVALID_FIELD"),
        (f"{DATA}/query", {"q": "SELECT Id FROM Lead WHERE Name LIKE 'A%'"}, SESSION, 400, "MALFORMED_QUERY"),
        (f"{DATA}/query", {"q": "SELECT Id FROM Nothing"}, SESSION, 400, "INVALID_TYPE"),
        ("/salesforce/services/data/v29.0/query", {"q": "SELECT Id FROM Lead"}, SESSION, 410, "GONE"),
        ("/salesforce/services/data/v99.0/query", {"q": "SELECT Id FROM Lead"}, SESSION, 404, "NOT_FOUND"),
        (f"{DATA}/query", {"q": "SELECT Id FROM Lead"}, {"Authorization": "Bearer stale"}, 401, "INVALID_SESSION_ID"),
    ]
    for path, params, headers, status, code in cases:
        answer = http.get(path, params=params, headers=headers)
        assert (answer.status_code, answer.json()[0]["errorCode"]) == (status, code), (path, params, answer.text)


def test_limit_info_counts_and_the_allocation_refuses(http: httpx.Client, allocation: None) -> None:
    http.post("/salesforce/_admin/allocation", json={"requests": 3})
    usages = [http.get(f"{DATA}/query", params={"q": "SELECT Id FROM Campaign"}, headers=SESSION) for _ in range(4)]
    assert [u.headers["Sforce-Limit-Info"] for u in usages] == [f"api-usage={n}/3" for n in (1, 2, 3, 3)]
    assert [u.status_code for u in usages] == [200, 200, 200, 403]
    assert usages[-1].json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    assert http.get("/salesforce/_admin/allocation").json()["refused"] >= 1


def test_bulk_query_job_results_equal_query_all(http: httpx.Client) -> None:
    soql = "SELECT Id, IsDeleted, Amount, IsWon, AccountId FROM Opportunity"
    job = http.post(f"{DATA}/jobs/query", json={"operation": "queryAll", "query": soql}, headers=SESSION)
    assert job.status_code == 200 and job.json()["state"] == "UploadComplete", job.text
    url = f"{DATA}/jobs/query/{job.json()['id']}"
    states = [http.get(url, headers=SESSION).json()["state"] for _ in range(2)]
    assert states == ["InProgress", "JobComplete"]
    rows, locator = [], ""
    while locator != "null":
        part = http.get(f"{url}/results", params={"maxRecords": 40, **({"locator": locator} if locator else {})},
                        headers=SESSION)
        assert part.status_code == 200 and part.headers["content-type"].startswith("text/csv"), part.text
        got = list(csv.DictReader(io.StringIO(part.text)))
        assert int(part.headers["Sforce-NumberOfRecords"]) == len(got) <= 40
        rows += got
        locator = part.headers["Sforce-Locator"]
    rest = [r for p in query(http, "queryAll", soql) for r in p["records"]]
    as_text = [{k: "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
                for k, v in r.items() if k != "attributes"} for r in rest]
    assert sorted(rows, key=lambda r: r["Id"]) == sorted(as_text, key=lambda r: r["Id"])


def test_every_world_contact_is_a_lead_converted_into_a_contact(world_file: Path) -> None:
    with sqlite3.connect(f"file:{world_file}?mode=ro", uri=True) as db:
        def ids(resource: str) -> set[str]:
            return {i for i, in db.execute("select distinct id from records where resource = ?", (resource,))}
        world = ids("hubspot/contacts") | ids("hubspot/contacts:archived") | ids("hubspot/contacts:merged")
        leads, contacts = ids("salesforce/Lead"), ids("salesforce/Contact")
        assert leads == {sf_id("Lead", int(i)) for i in world}
        assert contacts == {sf_id("Contact", int(i)) for i in world}
        deals = ids("hubspot/deals") | ids("hubspot/deals:archived")
        assert ids("salesforce/Opportunity") == {sf_id("Opportunity", int(i)) for i in deals}
