"""The Salesforce connector over real HTTP against the sandbox (tiny world): first sync and paging,
an incremental run after the clock moves (changed, new, deleted and merged records) equal to a full
sync, sessions expiring mid-stream, the daily allocation, retired versions, faults, and the
instance_url check."""

from __future__ import annotations

import math
import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import httpx
import orjson
import pytest
from connector_helpers import raw_rows

from connectors import ingest
from connectors.config import HubConfig, SettingsError
from connectors.errors import AuthError, BrokenPage, RequestError, RetryExhausted
from connectors.pagination import PageRequest
from connectors.systems import salesforce
from connectors.systems.salesforce_org import client_credentials_token, retirement_warning
from sandbox.credentials import OAUTH_CLIENTS
from sandbox.server import running_sandbox
from sandbox.world import DEFAULT_AS_OF

NAMES = [spec.name for spec in salesforce.STREAMS]
LATER = date(2027, 1, 31)  # three months on: new, changed, deleted and merged records in every tiny world
TOKEN_USES = 4  # every session expires after four calls: each sync meets INVALID_SESSION_ID mid-stream


@pytest.fixture(autouse=True)
def _catalogued(monkeypatch: pytest.MonkeyPatch) -> None:
    """ingest_stream finds the Salesforce streams whether or not the catalogue lists them yet."""
    found = ingest.stream_spec
    mine = {spec.name: spec for spec in salesforce.STREAMS}
    monkeypatch.setattr(ingest, "stream_spec", lambda name: mine.get(name) or found(name))


@pytest.fixture(scope="module")
def sandbox() -> Iterator[object]:
    """A tiny sandbox whose sessions expire every few calls; tests that move its clock put it back."""
    with running_sandbox(seed=1, scale="tiny", token_uses=TOKEN_USES) as sb:
        yield sb


def env(url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The connector settings for the sandbox's Salesforce, on the client-credentials grant."""
    client = OAUTH_CLIENTS["salesforce"]
    return {"HUB_DATA_DIR": str(data_dir), "HUB_SALESFORCE_BASE_URL": url + "/salesforce",
            "HUB_SALESFORCE_CLIENT_ID": client["client_id"], "HUB_SALESFORCE_CLIENT_SECRET": client["client_secret"],
            "HUB_HTTP_READ_TIMEOUT_SECONDS": "10", **extra}


def sync(config: HubConfig, run_id: str) -> dict[str, ingest.StreamReport]:
    return {name: ingest.ingest_stream(name, config, run_id) for name in NAMES}


def records(config: HubConfig, table: str) -> dict[str, dict]:
    return {pk: orjson.loads(record) for pk, _, _, record in raw_rows(config, table)}


def admin(sandbox: object, what: str, body: dict) -> None:
    assert httpx.post(f"{sandbox.url}/salesforce/_admin/{what}", json=body).status_code == 200


def test_incremental_after_a_clock_move_equals_a_full_sync(sandbox, tmp_path: Path) -> None:  # noqa: ANN001
    nightly = HubConfig.from_env(env(sandbox.url, tmp_path / "nightly"))
    full = HubConfig.from_env(env(sandbox.url, tmp_path / "full"))
    before = dict(httpx.get(f"{sandbox.url}/_admin/stats").json()["tokens_issued"])
    admin(sandbox, "batch", {"records": 100})  # the tiny world's leads take several pages
    try:
        first = sync(nightly, "day-1")
        sandbox.set_clock(LATER)
        second = sync(nightly, "day-2")
        fresh = sync(full, "full")
    finally:
        sandbox.set_clock(DEFAULT_AS_OF)
        admin(sandbox, "batch", {"records": 2000})
    assert first["salesforce__leads"].pages > 1
    for name, report in fresh.items():  # each report sets its requests against the floor: 2,000 records a page
        assert report.records and report.floor_per_1000_records == \
            round(1000 * math.ceil(report.records / 2000) / report.records, 2), name
    assert fresh["salesforce__leads"].requests_per_1000_records > fresh["salesforce__leads"].floor_per_1000_records
    for name in NAMES:
        assert raw_rows(nightly, name) == raw_rows(full, name), name
        assert second[name].cursor_before == first[name].cursor_after, name
    # the second night asked only for what changed since the cursor (minus the overlap)
    assert 0 < second["salesforce__leads"].records < fresh["salesforce__leads"].records
    leads = records(nightly, "salesforce__leads")
    deleted = [r for r in leads.values() if r["IsDeleted"] and not r["MasterRecordId"]]
    merged = [r for r in leads.values() if r["IsDeleted"] and r["MasterRecordId"]]
    assert deleted and merged and all(r["MasterRecordId"] in leads for r in merged)
    assert any(r["SystemModstamp"] > f"{DEFAULT_AS_OF}T" and not r["IsDeleted"] for r in leads.values())
    # sessions expired mid-stream and each was replaced once, without a failed request
    issued = httpx.get(f"{sandbox.url}/_admin/stats").json()["tokens_issued"]["salesforce"]
    assert issued - before.get("salesforce", 0) >= 3


def test_the_daily_allocation_stops_a_stream_before_it_is_refused(sandbox, tmp_path: Path) -> None:  # noqa: ANN001
    config = HubConfig.from_env(env(sandbox.url, tmp_path / "data", HUB_SALESFORCE_API_RESERVE_PERCENT="25"))
    ingest.ingest_stream("salesforce__accounts", config, "before")
    stored = raw_rows(config, "salesforce__accounts")
    admin(sandbox, "batch", {"records": 20})
    admin(sandbox, "allocation", {"requests": 8})  # starts the count again: 25% of 8 is 2 left, after the 6th
    try:
        with pytest.raises(RequestError, match=r"salesforce__leads: .*used 7 of its 8 daily API requests") as caught:
            ingest.ingest_stream("salesforce__leads", config, "tight")
        refused = httpx.get(f"{sandbox.url}/salesforce/_admin/allocation").json()["refused"]
    finally:
        admin(sandbox, "allocation", {"requests": 100_000})
        admin(sandbox, "batch", {"records": 2000})
    assert "HUB_SALESFORCE_API_RESERVE_PERCENT" in str(caught.value)
    assert refused == 0, "the stream met REQUEST_LIMIT_EXCEEDED instead of stopping before it"
    assert raw_rows(config, "salesforce__accounts") == stored
    with duckdb.connect(str(config.warehouse_path), read_only=True) as con:
        tables = {t for t, in con.execute("select table_name from information_schema.tables where table_schema = 'raw'")
                  .fetchall()}
    assert "salesforce__leads" not in tables, "the stopped stream loaded part of its pages"


def test_a_retired_version_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="HUB_SALESFORCE_API_VERSION.*retired"):
        HubConfig.from_env(env("http://127.0.0.1:9", tmp_path, HUB_SALESFORCE_API_VERSION="v29.0"))


@pytest.fixture(scope="module")
def hostile() -> Iterator[object]:
    """A tiny sandbox a year and a half on (31.0-40.0 retired) whose Salesforce pages always break (a 200
    page without its records, or one that does not parse; errors come through unbroken)."""
    with running_sandbox(seed=1, scale="tiny", version_date="2028-07-01",
                         faults="salesforce:missing_key@always,salesforce:malformed@always") as sb:
        yield sb


def test_a_version_retired_since_gives_the_fix(hostile, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:  # noqa: ANN001
    config = HubConfig.from_env(env(hostile.url, tmp_path, HUB_SALESFORCE_API_VERSION="v35.0",
                                    HUB_HTTP_RETRY_MAX_SECONDS="2"))
    assert retirement_warning("v35.0") and retirement_warning("v41.0") is None
    with pytest.raises(RequestError, match=r"salesforce__opportunities: Salesforce no longer serves API v35.0 "
                                           r"\(410 GONE.*HUB_SALESFORCE_API_VERSION"):
        ingest.ingest_stream("salesforce__opportunities", config, "old")
    assert "retired with Summer '28" in caplog.text, "the version's coming retirement was not warned of"


def test_broken_pages_fail_by_name_and_keep_what_is_stored(sandbox, hostile, tmp_path: Path) -> None:  # noqa: ANN001
    good = HubConfig.from_env(env(sandbox.url, tmp_path))
    ingest.ingest_stream("salesforce__opportunities", good, "good")
    stored = raw_rows(good, "salesforce__opportunities")
    broken = HubConfig.from_env(env(hostile.url, tmp_path, HUB_HTTP_RETRY_MAX_SECONDS="2"))
    with pytest.raises(RetryExhausted, match=r"^salesforce__opportunities: gave up on GET .*queryAll") as caught:
        ingest.ingest_stream("salesforce__opportunities", broken, "broken")
    assert "cursor did not move" in str(caught.value)
    assert raw_rows(good, "salesforce__opportunities") == stored


def test_a_token_for_another_instance_is_not_used() -> None:
    answer = {"access_token": "00D!secret", "instance_url": "https://elsewhere.my.salesforce.com",
              "token_type": "Bearer", "issued_at": "1"}
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=answer))
    token = client_credentials_token("https://acme.my.salesforce.com", {"client_id": "id", "client_secret": "s"},
                                     ("s",), httpx.Timeout(5.0), 5.0, "fix")
    token.transport = transport
    with pytest.raises(AuthError, match="instance_url 'https://elsewhere.my.salesforce.com'.*HUB_SALESFORCE_BASE_URL"):
        token.token()
    assert token.fetches == 0


def test_a_large_first_sync_by_bulk_equals_rest_and_replays(sandbox, tmp_path: Path) -> None:  # noqa: ANN001
    """Bulk result sets land as the CSV received and load to the REST pages' raw rows, typed alike; a
    replay of that landing alone into a new warehouse gives them again."""
    rest = HubConfig.from_env(env(sandbox.url, tmp_path / "rest", HUB_SALESFORCE_BULK_THRESHOLD="0"))
    bulk = HubConfig.from_env(env(sandbox.url, tmp_path / "bulk", HUB_SALESFORCE_BULK_THRESHOLD="50"))
    before = sandbox.stats().get("salesforce", {})
    for name in ("salesforce__leads", "salesforce__opportunities"):
        by_rest = ingest.ingest_stream(name, rest, "rest")
        by_bulk = ingest.ingest_stream(name, bulk, "bulk")
        assert by_bulk.records == by_rest.records > 50 and by_bulk.cursor_after == by_rest.cursor_after, name
        landed = sorted(p.name for p in Path(by_bulk.landing_dir).glob("_/*"))
        assert landed and all(p.endswith((".csv", ".keys")) for p in landed), landed
        # its floor is one Bulk result set's request (up to 50,000 rows), not 0 for want of JSON pages
        assert by_bulk.floor_per_1000_records == round(1000 / by_bulk.records, 2), name
        assert records(bulk, name) == records(rest, name), name
    typed = records(bulk, "salesforce__opportunities")
    assert any(r["IsWon"] is True for r in typed.values()) and all(
        isinstance(r["Amount"], float) or r["Amount"] is None for r in typed.values())
    jobs = {path for path in set(sandbox.stats()["salesforce"]) - set(before) if re.search(r"/jobs/query/750\w+$", path)}
    assert len(jobs) == 2, f"expected one Bulk job per stream: {jobs}"
    replayed = HubConfig.from_env(env(sandbox.url, tmp_path / "replayed"))
    replayed.landing_dir.parent.mkdir(parents=True)
    shutil.copytree(bulk.landing_dir, replayed.landing_dir)
    for name in ("salesforce__leads", "salesforce__opportunities"):
        ingest.replay_landing(name, replayed, "bulk")
        assert raw_rows(replayed, name) == raw_rows(bulk, name), name


def test_a_page_not_done_without_its_next_link_is_broken() -> None:
    request = PageRequest("GET", "https://acme.my.salesforce.com/services/data/v67.0/queryAll")
    salesforce.QUERY_PAGE.check(request, {"totalSize": 1, "done": True, "records": [{"Id": "x"}]})
    with pytest.raises(BrokenPage, match="done is False but has no nextRecordsUrl"):
        salesforce.QUERY_PAGE.check(request, {"totalSize": 3, "done": False, "records": [{"Id": "x"}]})
    with pytest.raises(BrokenPage, match="records"):
        salesforce.QUERY_PAGE.check(request, {"totalSize": 3, "done": True})
