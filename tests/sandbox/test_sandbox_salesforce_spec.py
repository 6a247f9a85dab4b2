"""The Salesforce sandbox and connector against Salesforce's published descriptions (sandbox/specs/salesforce,
SOURCES.md there): answers against the schemas written from its REST guide, and every request the
connector sends against the requests its Postman collection describes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from jsonschema import Draft202012Validator, ValidationError

from connectors import ingest
from connectors.config import HubConfig
from connectors.systems import salesforce
from sandbox.credentials import OAUTH_CLIENTS, SANDBOX_CREDENTIALS

SPECS = Path(__file__).resolve().parents[2] / "sandbox" / "specs" / "salesforce"
SESSION = {"Authorization": f"Bearer {SANDBOX_CREDENTIALS['salesforce']['access_token']}"}
DATA = "/salesforce/services/data/v67.0"


def schema(name: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads((SPECS / name).read_text()))


def collection_requests() -> list[tuple[str, re.Pattern]]:
    """(method, path pattern) of each request in the Postman extract."""
    out = []
    for item in sorted((SPECS / "postman").glob("*.json")):
        request = json.loads(item.read_text())
        path = re.sub(r"^\{\{[^}]+\}\}(\{\{site\}\})?", "", request["url"]).split("?", 1)[0].rstrip("/")
        pattern = re.escape(path).replace(r"v\{\{version\}\}", r"v\d+\.0").replace(r"\{\{_jobId\}\}", r"[^/]+")
        out.append((request["method"], re.compile(pattern + "/?$")))
    return out


def test_the_extract_is_the_collection_s() -> None:
    requests = collection_requests()
    assert len(requests) == 8 and any(m == "POST" and p.match("/services/data/v67.0/jobs/query") for m, p in requests)


def test_query_answers_and_errors_match_the_schemas(http: httpx.Client) -> None:
    results, errors = schema("query-result.schema.json"), schema("error.schema.json")
    answers = [http.get(f"{DATA}/queryAll", params={"q": "SELECT Id, IsDeleted, SystemModstamp FROM Lead"},
                        headers={**SESSION, "Sforce-Query-Options": "batchSize=200"})]
    answers.append(http.get("/salesforce" + answers[0].json()["nextRecordsUrl"], headers=SESSION))
    answers.append(http.get(f"{DATA}/query", params={"q": "SELECT COUNT() FROM Opportunity"}, headers=SESSION))
    for answer in answers:
        assert answer.status_code == 200, answer.text
        results.validate(answer.json())
    refused = [http.get(f"{DATA}/query", params={"q": "SELECT Nope FROM Lead"}, headers=SESSION),
               http.get(f"{DATA}/query", params={"q": "SELECT Id FROM Lead"}, headers={"Authorization": "Bearer x"})]
    for answer in refused:
        assert answer.status_code in (400, 401)
        errors.validate(answer.json())
    with pytest.raises(ValidationError, match="'records' is a required property"):  # the schema can fail
        results.validate({"totalSize": 1, "done": True})


def test_every_request_the_connector_sends_is_described(server, tmp_path: Path,  # noqa: ANN001
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    mine = {spec.name: spec for spec in salesforce.STREAMS}
    found = ingest.stream_spec
    monkeypatch.setattr(ingest, "stream_spec", lambda name: mine.get(name) or found(name))
    client = OAUTH_CLIENTS["salesforce"]
    config = HubConfig.from_env({
        "HUB_DATA_DIR": str(tmp_path), "HUB_SALESFORCE_BASE_URL": server.url + "/salesforce",
        "HUB_SALESFORCE_CLIENT_ID": client["client_id"], "HUB_SALESFORCE_CLIENT_SECRET": client["client_secret"],
        "HUB_SALESFORCE_BULK_THRESHOLD": "100"})  # leads by a Bulk job, accounts by REST pages
    before = set(server.stats().get("salesforce", {}))
    httpx.post(server.url + "/salesforce/_admin/batch", json={"records": 10})
    try:
        for name in ("salesforce__leads", "salesforce__accounts"):
            ingest.ingest_stream(name, config, "spec")
    finally:
        httpx.post(server.url + "/salesforce/_admin/batch", json={"records": 2000})
    sent = set(server.stats()["salesforce"]) - before
    more = re.compile(r"^/services/data/v\d+\.0/(query|queryAll)/[0-9A-Za-z]+-\d+$")  # nextRecordsUrl, handed out
    described = [p for p in sent if any(pattern.match(p) for _, pattern in collection_requests())]
    assert sent and sorted(sent) == sorted(described + [p for p in sent if more.match(p)])
    assert any(p.endswith("/results") for p in sent) and any(more.match(p) for p in sent)
