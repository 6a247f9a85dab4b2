"""Quarantine of bad records and bad configuration, with the exact messages."""

from __future__ import annotations

import duckdb
import orjson
import pytest
from connector_helpers import sandbox_env

from connectors.config import HubConfig
from connectors.errors import AuthError, ConfigError
from connectors.ingest import FETCH_MARKER, ingest_stream, replay_landing
from connectors.streams import CATALOGUE

GOOD = {"id": "1", "properties": {"amount": "1250.5", "createdate": "2026-03-01T10:00:00.000Z",
                                  "hs_lastmodifieddate": "2026-03-02T10:00:00.000Z", "new_vendor_field": "kept"}}
BAD_AMOUNT = {"id": "2", "properties": {"amount": "12,50 EUR", "createdate": "2026-03-01T10:00:00.000Z",
                                        "hs_lastmodifieddate": "2026-03-05T10:00:00.000Z"}}
BAD_DATE = {"id": "3", "properties": {"amount": "10", "createdate": "yesterday",
                                      "hs_lastmodifieddate": "2026-03-03T10:00:00.000Z"}}
NO_ID = {"properties": {"amount": "10", "createdate": "2026-03-01", "hs_lastmodifieddate": "2026-03-04T10:00:00.000Z"}}
BAD_CURSOR = {"id": "4", "properties": {"amount": "10", "createdate": "2026-03-01T10:00:00.000Z",
                                        "hs_lastmodifieddate": "tomorrow"}}


def land_deals_page(config: HubConfig, run_id: str, records: list[dict]) -> None:
    """A landed HubSpot deals page as a fetch would have written it."""
    root = config.landing_dir / run_id / "hubspot" / "deals"
    (root / "_").mkdir(parents=True)
    (root / "_" / "pages-000001.json").write_bytes(orjson.dumps({"results": records}) + b"\n")
    (root / FETCH_MARKER).write_bytes(orjson.dumps({"cursor_after": None, "pages": 1}))


def test_records_without_id_or_cursor_go_to_quarantine_and_bad_values_load_for_dbt(tmp_path):
    """The connector quarantines what it can see (an id, a cursor that is no time); a bad amount or
    creation date loads as sent, for dbt staging to parse and list (CONTRACTS §5)."""
    config = HubConfig.from_env({"HUB_DATA_DIR": str(tmp_path)})
    land_deals_page(config, "run-q", [GOOD, BAD_AMOUNT, BAD_DATE, NO_ID, BAD_CURSOR])
    report = replay_landing("hubspot__deals", config, "run-q")
    assert (report.records, report.inserted, report.quarantined) == (5, 3, 2)
    # The cursor covers loaded records only ('tomorrow' sorts after every date: it must not count),
    # and a record held for its missing id keeps it back: it comes again next time.
    assert report.cursor_after == "2026-03-04T10:00:00.000Z"
    con = duckdb.connect(str(config.warehouse_path), read_only=True)
    quarantine = con.execute(
        "select stream, pk, reason, record::varchar, run_id from raw._quarantine order by pk nulls first"
    ).fetchall()
    raw = con.execute(
        "select _pk, _record->>'$.properties.amount', _record->>'$.properties.createdate', "
        "_record->>'$.properties.new_vendor_field' from raw.hubspot__deals order by _pk"
    ).fetchall()
    con.close()
    assert [(stream, pk, reason, run_id) for stream, pk, reason, _, run_id in quarantine] == [
        ("hubspot__deals", None, "missing id: no value at id", "run-q"),
        ("hubspot__deals", "4", "unparseable date at properties.hs_lastmodifieddate: tomorrow", "run-q"),
    ]
    assert [orjson.loads(record) for *_, record, _ in quarantine] == [NO_ID, BAD_CURSOR]
    assert raw == [
        ("1", "1250.5", "2026-03-01T10:00:00.000Z", "kept"),  # a field the vendor added is stored, not dropped
        ("2", "12,50 EUR", "2026-03-01T10:00:00.000Z", None),
        ("3", "10", "yesterday", None),
    ]

    again = replay_landing("hubspot__deals", config, "run-q")
    assert again.quarantined == 2
    con = duckdb.connect(str(config.warehouse_path), read_only=True)
    assert con.execute("select count(*) from raw._quarantine").fetchone() == (2,)  # not duplicated
    con.close()


def test_missing_settings_fail_before_anything_is_written(tmp_path):
    config = HubConfig.from_env({"HUB_DATA_DIR": str(tmp_path / "data"), "HUB_HUBSPOT_TOKEN": "t"})
    with pytest.raises(ConfigError) as err:
        ingest_stream("hubspot__contacts", config, "run-1")
    assert str(err.value) == (
        "hubspot is not configured: HUB_HUBSPOT_BASE_URL is not set: set it to the hubspot API base URL"
    )
    assert not (tmp_path / "data").exists()


def test_unknown_stream_and_bad_run_id(tmp_path):
    config = HubConfig.from_env({"HUB_DATA_DIR": str(tmp_path)})
    with pytest.raises(ConfigError) as err:
        ingest_stream("hubspot__leads", config, "run-1")
    assert str(err.value) == "unknown stream 'hubspot__leads': expected one of " + ", ".join(sorted(CATALOGUE))
    with pytest.raises(ConfigError) as err:
        replay_landing("ecb__rates", config, "../elsewhere")
    assert str(err.value) == "run id '../elsewhere' cannot name a landing folder: use letters, digits, '-' or '_'"


def test_wrong_credentials_fail_before_any_data_is_written(tiny_sandbox, tmp_path):
    config = HubConfig.from_env(
        sandbox_env(tiny_sandbox.url, tmp_path / "data", HUB_SHIPSTATION_API_KEY="wrong-key-123")
    )
    with pytest.raises(AuthError) as err:
        ingest_stream("shipstation__shipments", config, "run-1")
    assert str(err.value) == (
        f"shipstation__shipments: shipstation rejected the credentials (HTTP 401) at GET "
        f"{tiny_sandbox.url}/shipstation/v2/shipments?sort_by=modified_at&sort_dir=asc&page_size=100&page=1: "
        f"check HUB_SHIPSTATION_API_KEY"
    )
    assert "wrong-key-123" not in str(err.value)
    # Only the account's shared rate budget (connectors/budget.py) may exist: no warehouse, no landing,
    # and the budget names the account by a hash, never by its key.
    data = tmp_path / "data"
    written = sorted(str(p.relative_to(data)) for p in data.rglob("*")) if data.exists() else []
    assert all(name == "budgets" or name.startswith("budgets/") for name in written), written
    assert all(b"wrong-key-123" not in p.read_bytes() for p in data.rglob("*") if p.is_file())
