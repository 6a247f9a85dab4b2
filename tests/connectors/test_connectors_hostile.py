"""Hostile answers over real HTTP: broken pages, hostile waits, links and cursors, records without ids.

Each test runs the connectors against a tiny sandbox switched to one hostile behaviour and asserts
the data: raw tables equal to a clean run's, or the warehouse exactly as before a clear failure.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import duckdb
import pytest
from connector_helpers import new_vendor_env, raw_rows, sandbox_env

from connectors.auth import auth_headers
from connectors.config import HubConfig
from connectors.errors import LoopingCursorError, RetryExhausted, UnsafeLinkError
from connectors.http import VendorClient, make_http_client
from connectors.ingest import ingest_stream
from connectors.streams import STREAMS
from sandbox.credentials import SANDBOX_CREDENTIALS
from sandbox.server import running_sandbox

META_TOKEN = SANDBOX_CREDENTIALS["meta"]["access_token"]
KEYED_VENDORS = ("hubspot", "meta", "docusign", "shipstation", "ecb")


def warehouse_state(config: HubConfig) -> tuple[list[tuple], ...]:
    """Every raw row, cursor, load and quarantine row: what a failed run must leave as it was."""
    con = duckdb.connect(str(config.warehouse_path), read_only=True)
    try:
        tables = [t for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw' order by 1").fetchall()]
        return tuple(con.execute(f"select * exclude (_loaded_at) from raw.{t} order by all").fetchall()
                     if t not in ("_cursors", "_loads", "_quarantine")
                     else con.execute(f"select * from raw.{t} order by all").fetchall() for t in tables)
    finally:
        con.close()


def test_pages_without_their_records_key_are_retried_and_lose_nothing(clean_tiny_tables, tmp_path):
    faults = ",".join(f"{v}:missing_key@0.5" for v in KEYED_VENDORS)
    with running_sandbox(seed=1, scale="tiny", faults=faults) as sb:
        config = HubConfig.from_env(sandbox_env(sb.url, tmp_path / "data"))
        reports = {name: ingest_stream(name, config, "faulty") for name in STREAMS}
    for name in STREAMS:
        assert raw_rows(config, name) == clean_tiny_tables[name], name
    assert sum(r.retries for r in reports.values()) > 5  # the broken pages really came, and were retried


@pytest.mark.parametrize(("stream", "vendor", "key"), [
    ("shipstation__shipments", "shipstation", "'shipments'"),
    ("hubspot__contacts", "hubspot", "'results'"),
    ("meta__insights", "meta", "'data'"),
])
def test_a_page_that_stays_broken_fails_clearly_and_changes_nothing(tiny_sandbox, tmp_path, stream, vendor, key):
    data = tmp_path / "data"
    before = HubConfig.from_env(sandbox_env(tiny_sandbox.url, data))
    for name in STREAMS:  # a warehouse with every stream loaded once
        ingest_stream(name, before, "night-1")
    state = warehouse_state(before)
    with running_sandbox(seed=1, scale="tiny", faults=f"{vendor}:missing_key@always") as sb:
        config = HubConfig.from_env(sandbox_env(sb.url, data, HUB_HTTP_RETRY_MAX_SECONDS="1.5"))
        with pytest.raises(RetryExhausted) as err:
            ingest_stream(stream, config, "night-2")
        requests = sum(sb.stats()[vendor].values())
    message = str(err.value)
    assert message.startswith(f"{stream}: gave up on ")
    assert sb.url in message
    assert f"HTTP 200 with a broken page: the page lacks its records key {key}" in message
    assert "Nothing of this fetch was loaded and the stream's cursor did not move" in message
    assert "report it to the vendor" in message
    assert 2 <= requests <= 4  # retried within HUB_HTTP_RETRY_MAX_SECONDS, then stopped
    assert warehouse_state(config) == state


@pytest.mark.parametrize(("vendor", "stream", "retry_after"), [
    ("shipstation", "shipstation__shipments", "0"),
    ("shipstation", "shipstation__shipments", "-5"),
    ("docusign", "docusign__envelopes", "nan"),
    ("meta", "meta__insights", "nan"),
    ("google_ads", "google_ads__campaign_days", "inf"),
    ("hubspot", "hubspot__contacts", "Thu, 01 Jan 1970 00:00:00 GMT"),
    ("shippo", "shippo__orders", "nan"),
    ("salesforce", "salesforce__accounts", "-5"),
])
def test_hostile_retry_waits_are_bounded_below_and_the_client_stops(tmp_path, vendor, stream, retry_after):
    with running_sandbox(seed=1, scale="tiny", faults=f"{vendor}:rate_limit@always", retry_after=retry_after) as sb:
        config = HubConfig.from_env(sandbox_env(sb.url, tmp_path / "data", HUB_HTTP_RETRY_MAX_SECONDS="1.5"))
        with pytest.raises(RetryExhausted) as err:
            ingest_stream(stream, config, "throttled")
        requests = sum(sb.stats()[vendor].values())
    # Backoff floors of 0.25-0.5 s, 0.5-1 s, 1-2 s: at most three attempts fit in 1.5 s, never thousands.
    assert 2 <= requests <= 3
    assert str(err.value).startswith(f"{stream}: gave up on ")
    assert not config.warehouse_path.exists()  # a failed first run writes no warehouse


@pytest.mark.parametrize(("fault", "why"), [
    ("link_off_path", "its path is outside the configured path '/meta'"),
    ("link_userinfo", "it carries a user name or password (user:pw@)"),
    ("link_other_host", "it leaves the configured scheme, host and port"),
])
def test_hostile_next_links_are_refused_before_any_credential_is_sent(tmp_path, fault, why):
    with running_sandbox(seed=1, scale="tiny", faults=f"meta:{fault}@always") as sb:
        config = HubConfig.from_env(sandbox_env(sb.url, tmp_path / "data", HUB_START_DATE="2025-11-01"))
        with pytest.raises(UnsafeLinkError) as err:
            ingest_stream("meta__insights", config, "hostile")
        stats = sb.stats()
    message = str(err.value)
    assert why in message and "no credentials were sent" in message
    assert META_TOKEN not in message and "hunter2" not in message
    assert stats["meta"] == {"/v27.0/act_1001/insights": 1}  # the first page only
    assert "hubspot" not in stats  # the off-path link named HubSpot's path on the same host: never asked


def test_meta_next_links_carry_the_token_which_never_lands(tiny_sandbox, tmp_path):
    config = HubConfig.from_env(sandbox_env(tiny_sandbox.url, tmp_path / "data"))
    report = ingest_stream("meta__insights", config, "clean")
    landed = b"".join(p.read_bytes() for p in Path(report.landing_dir).rglob("pages-*.json"))
    assert report.pages > 3 and b"access_token=***" in landed  # the vendor sent it in each next link ...
    assert META_TOKEN.encode() not in landed  # ... and it was scrubbed before landing


@pytest.mark.parametrize(("vendor", "stream", "path"), [
    ("meta", "meta__insights", "/v27.0/act_1001/insights"),
    ("hubspot", "hubspot__contacts", "/crm/v3/objects/contacts"),
])
def test_a_repeated_cursor_stops_the_listing_with_a_clear_error(tmp_path, vendor, stream, path):
    with running_sandbox(seed=1, scale="tiny", faults=f"{vendor}:repeat_cursor@always") as sb:
        config = HubConfig.from_env(sandbox_env(sb.url, tmp_path / "data", HUB_START_DATE="2025-11-01"))
        with pytest.raises(LoopingCursorError) as err:
            ingest_stream(stream, config, "looping")
        requests = sb.stats()[vendor][path]
    assert str(err.value).startswith(f"{stream}: the vendor sent a next cursor or link already followed")
    assert "the cursor did not move" in str(err.value)
    assert requests == 2  # the page that repeated its own request was not asked again
    assert not config.warehouse_path.exists()


@pytest.mark.parametrize(("vendor", "stream", "field"), [
    ("shipstation", "shipstation__shipments", "shipment_id"),
    ("salesforce", "salesforce__contacts", "Id"),
])
def test_records_without_their_id_are_quarantined_and_load_once_sent_whole(
        tiny_sandbox, clean_tiny_tables, clean_tiny_new_vendor_tables, tmp_path, vendor, stream, field):
    data = tmp_path / "data"
    with running_sandbox(seed=1, scale="tiny", faults=f"{vendor}:missing_id@always") as sb:
        config = HubConfig.from_env(new_vendor_env(sb.url, data))
        report = ingest_stream(stream, config, "night-1")
    con = duckdb.connect(str(config.warehouse_path), read_only=True)
    quarantined = con.execute(
        f"select reason, record->>'{field}' is null from raw._quarantine where stream = ?", [stream]
    ).fetchall()
    con.close()
    assert report.quarantined == report.pages == len(quarantined) > 0  # the first record of every page
    assert set(quarantined) == {(f"missing id: no value at {field}", True)}
    clean = {**clean_tiny_tables, **clean_tiny_new_vendor_tables}[stream]
    assert len(raw_rows(config, stream)) == len(clean) - report.quarantined

    night = ingest_stream(stream, HubConfig.from_env(new_vendor_env(tiny_sandbox.url, data)), "night-2")
    assert night.quarantined == 0
    assert raw_rows(config, stream) == clean


def test_a_password_in_a_base_url_is_never_sent_nor_printed(tmp_path, caplog):
    # Settings refuse such a base URL (connectors/config.py); the client refuses and masks it all the same.
    password = "pa55w0rd-in-the-url"
    with running_sandbox(seed=1, scale="tiny") as sb:
        config = HubConfig.from_env(sandbox_env(sb.url, tmp_path / "data"))
        base = sb.url.replace("http://", f"http://ops:{password}@") + "/shipstation"
        system = dataclasses.replace(config.system("shipstation"), base_url=base)
        with make_http_client(config) as http, caplog.at_level(logging.DEBUG), pytest.raises(UnsafeLinkError) as err:
            client = VendorClient(system, config, "shipstation__shipments", auth_headers(system), http)
            client.send("GET", client.url("/v2/shipments"))
        stats = sb.stats()
    assert f"http://***@{sb.url.removeprefix('http://')}/shipstation/v2/shipments" in str(err.value)
    assert "it carries a user name or password" in str(err.value)
    assert password not in str(err.value) and password not in caplog.text
    assert "shipstation" not in stats  # nothing was sent
