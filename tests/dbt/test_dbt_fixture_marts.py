"""mart_sales_vs_fulfilment on a hand-made raw warehouse whose every figure is worked out below.

The fixture exercises each rule of CONTRACTS.md §5 once: weekend FX (latest rate on or before),
a half-cent tie, Google micros, attribution (unknown campaign, null source, earliest contact),
a non-UTC timestamp, over-shipment, cancelled and pending shipments, an item split over two
rows, orphans with and without an order id, a contract with no deal, backlog per month end, and
an ECB rate whose day is no 'YYYY-MM-DD' (the previous rate governs).
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from support.dbt_harness import RawRow, dbt, invoke_dbt, mart_rows, write_raw_tables


def _contact(cid: int, created: str, source: str | None, campaign: str | None = None) -> RawRow:
    props = {"createdate": created, "email": f"c{cid}@example.com", "utm_source": source,
             "utm_campaign": campaign, "lastmodifieddate": created}
    record = {"id": str(cid), "properties": props, "createdAt": created, "updatedAt": created,
              "archived": False}
    return RawRow(str(cid), record, cursor=created)


def _deal(did: int, created: str, currency: str) -> RawRow:
    props = {"createdate": created, "dealname": f"deal {did}", "deal_currency_code": currency,
             "amount": "0", "hs_lastmodifieddate": created}
    return RawRow(str(did), {"id": str(did), "properties": props, "createdAt": created,
                             "updatedAt": created, "archived": False})


def _line(lid: int, sku: str, qty: str, price: str) -> RawRow:
    props = {"hs_sku": sku, "quantity": qty, "price": price, "name": sku,
             "createdate": "2026-01-01T00:00:00Z"}
    return RawRow(str(lid), {"id": str(lid), "properties": props, "archived": False,
                             "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z"})


def _assoc(kind: str, from_id: int, to_ids: list[int]) -> RawRow:
    to = [{"toObjectId": t, "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 3,
                                                   "label": None}]} for t in to_ids]
    return RawRow(f"{kind}:{from_id}", {"from": {"id": str(from_id)}, "to": to}, scope=kind)


def _insight(account: str, campaign_id: str, name: str, day: str, spend: str) -> RawRow:
    record = {"account_id": account.removeprefix("act_"), "campaign_id": campaign_id,
              "campaign_name": name, "date_start": day, "date_stop": day, "spend": spend,
              "impressions": "1000", "clicks": "10"}
    return RawRow(f"{account}:{campaign_id}:{day}", record, scope=account, cursor=day)


def _google(customer: str, campaign_id: str, name: str, day: str, micros: str) -> RawRow:
    record = {"customer": {"resourceName": f"customers/{customer}", "id": customer},
              "campaign": {"resourceName": f"customers/{customer}/campaigns/{campaign_id}",
                           "id": campaign_id, "name": name},
              "segments": {"date": day},
              "metrics": {"costMicros": micros, "impressions": "100", "clicks": "5"}}
    return RawRow(f"{customer}:{campaign_id}:{day}", record, scope=customer, cursor=day)


def _envelope(eid: str, status: str, completed: str | None, contract: str, deal: str,
              promised: str = "2026-03-31") -> RawRow:
    fields = [{"fieldId": "1", "name": "contract_number", "value": contract},
              {"fieldId": "2", "name": "hubspot_deal_id", "value": deal},
              {"fieldId": "3", "name": "promised_delivery_date", "value": promised}]
    record = {"envelopeId": eid, "status": status, "completedDateTime": completed,
              "sentDateTime": "2026-01-01T00:00:00.0000000Z",
              "customFields": {"textCustomFields": fields, "listCustomFields": []},
              "recipients": {"signers": [{"recipientId": "1", "email": f"{eid}@buyer.example",
                                          "name": "Buyer", "status": "completed"}]}}
    return RawRow(eid, record, scope="7d5a3d7e-0000-4000-8000-00000000d0c5")


def _shipment(sid: str, order: str | None, status: str, ship_date: str | None,
              items: list[tuple[str, int]]) -> RawRow:
    record = {"shipment_id": sid, "external_order_id": order, "shipment_status": status,
              "ship_date": ship_date, "created_at": "2026-01-01T00:00:00Z",
              "modified_at": "2026-01-01T00:00:00Z",
              "items": [{"name": sku, "sku": sku, "quantity": qty} for sku, qty in items],
              "ship_to": {"name": "Buyer", "company_name": "Buyer Ltd", "country_code": "DE"}}
    return RawRow(sid, record)


def _label(lid: str, sid: str) -> RawRow:
    return RawRow(lid, {"label_id": lid, "shipment_id": sid, "status": "completed",
                        "voided": False, "tracking_number": f"T{lid}",
                        "shipment_cost": {"currency": "eur", "amount": 5.0},
                        "created_at": "2026-01-01T00:00:00Z"})


def _track(lid: str, delivered: str | None) -> RawRow:
    status = "DE" if delivered else "IT"
    return RawRow(lid, {"tracking_number": f"T{lid}", "status_code": status,
                        "status_description": "Delivered" if delivered else "In Transit",
                        "carrier_status_code": status, "estimated_delivery_date": None,
                        "actual_delivery_date": delivered, "events": []})


def _rate(currency: str, day: str, value: str) -> RawRow:
    return RawRow(f"{currency}:{day}", {"KEY": f"EXR.D.{currency}.EUR.SP00.A", "FREQ": "D",
                                         "CURRENCY": currency, "CURRENCY_DENOM": "EUR",
                                         "TIME_PERIOD": day, "OBS_VALUE": value}, cursor=day)


FIXTURE: dict[str, list[RawRow]] = {
    "ecb__rates": [
        _rate("USD", "2026-01-02", "1.2500"), _rate("USD", "2026-01-05", "1.1000"),
        _rate("GBP", "2026-01-02", "0.8000"),
        # a timestamp passes the connector's cursor check, not staging's date: quarantined, no rate
        _rate("USD", "2026-01-06T00:00:00Z", "9.9999"),
    ],
    "meta__insights": [
        _insight("act_1001", "11", "spring_fb", "2026-01-03", "10.01"),  # Sat: 10.01/1.25 = 8.008
        _insight("act_1001", "11", "spring_fb", "2026-01-05", "11.00"),  # 11/1.1 = 10.00
        _insight("act_1003", "12", "eu_fb", "2026-02-01", "5.55"),
    ],
    "google_ads__campaign_days": [
        _google("1110001111", "21", "search_brand", "2026-01-10", "1234565000"),  # tie -> .57
        _google("2220002222", "22", "search_us", "2026-02-02", "2000000"),  # 2/1.1 = 1.818
    ],
    "hubspot__contacts": [
        _contact(101, "2026-01-04T10:00:00.000Z", "facebook", "spring_fb"),
        _contact(102, "2026-01-04T09:00:00.000Z", "google", "unknown_camp"),
        _contact(103, "2026-01-20T08:00:00.000Z", "organic"),
        _contact(104, "2026-02-03T08:00:00.000Z", None),
        _contact(105, "2026-02-05T08:00:00.000Z", "instagram", "eu_fb"),
        _contact(106, "2026-01-31T23:30:00.000-02:00", "google", "search_brand"),  # Feb in UTC
    ],
    "hubspot__deals": [
        _deal(201, "2026-01-05T10:00:00Z", "EUR"), _deal(202, "2026-01-21T10:00:00Z", "USD"),
        _deal(203, "2026-02-06T10:00:00Z", "GBP"), _deal(204, "2026-02-07T10:00:00Z", "EUR"),
    ],
    "hubspot__line_items": [
        _line(301, "A", "10", "100.00"), _line(302, "B", "3", "33.33"),
        _line(303, "A", "5", "20.01"), _line(304, "C", "2", "10.00"),
    ],
    "hubspot__associations": [
        _assoc("deals_contacts", 201, [103, 101]), _assoc("deals_contacts", 202, [103]),
        _assoc("deals_contacts", 204, [106]),
        _assoc("deals_line_items", 201, [301, 302]), _assoc("deals_line_items", 202, [303]),
        _assoc("deals_line_items", 203, [304]),
    ],
    "docusign__envelopes": [
        _envelope("e1", "completed", "2026-01-06T12:00:00.0000000Z", "C-1", "201", "2026-02-15"),
        _envelope("e2", "completed", "2026-01-03T23:59:59.9990000Z", "C-2", "202"),
        _envelope("e3", "completed", "2026-02-10T08:00:00.0000000Z", "C-3", "203"),
        _envelope("e4", "sent", None, "C-4", "204"),
        _envelope("e5", "completed", "2026-02-11T08:00:00.0000000Z", "C-5", "999"),
    ],
    "shipstation__shipments": [
        _shipment("se-1", "C-1", "label_purchased", "2026-01-20T00:00:00Z", [("A", 4), ("B", 3)]),
        _shipment("se-2", "C-1", "label_purchased", "2026-02-05T00:00:00Z", [("A", 7)]),
        _shipment("se-3", "C-2", "cancelled", "2026-01-25T00:00:00Z", [("A", 5)]),
        _shipment("se-4", "C-2", "pending", None, [("A", 5)]),
        _shipment("se-5", "X-99", "label_purchased", "2026-02-08T00:00:00Z", [("Z", 1)]),
        _shipment("se-6", "C-3", "label_purchased", "2026-02-12T00:00:00Z", [("C", 1), ("C", 1)]),
        _shipment("se-7", None, "label_purchased", "2026-01-15T00:00:00Z", [("A", 1)]),
    ],
    "shipstation__labels": [_label("se-l1", "se-1"), _label("se-l2", "se-2"), _label("se-l6", "se-6")],
    "shipstation__tracking": [
        _track("se-l1", "2026-02-02T15:00:00Z"), _track("se-l2", None),
        _track("se-l6", "2026-02-14T09:00:00Z"),
    ],
}

ZERO = dict(spend=Decimal("0.00"), leads=0, deals=0, contracts_signed=0,
            booked_value=Decimal("0.00"), shipped_value=Decimal("0.00"),
            delivered_value=Decimal("0.00"), backlog_value=Decimal("0.00"),
            orphan_shipments=0, unshipped_contracts=0)


def _row(**figures: object) -> dict:
    return {**ZERO, **{k: Decimal(v) if isinstance(v, str) else v for k, v in figures.items()}}


EXPECTED = {
    ("2026-01", "meta"): _row(spend="18.01", leads=1, deals=1, contracts_signed=1,
                              booked_value="1099.99", shipped_value="499.99", backlog_value="600.00"),
    ("2026-01", "google_ads"): _row(spend="1234.57"),
    ("2026-01", "organic"): _row(leads=1, deals=1, contracts_signed=1, booked_value="80.04",
                                 backlog_value="80.04", unshipped_contracts=1),
    ("2026-01", "unattributed"): _row(leads=1, orphan_shipments=1),
    ("2026-02", "meta"): _row(spend="5.55", leads=1, shipped_value="700.00",
                              delivered_value="499.99"),
    ("2026-02", "google_ads"): _row(spend="1.82", leads=1, deals=1),
    ("2026-02", "organic"): _row(backlog_value="80.04"),
    ("2026-02", "unattributed"): _row(leads=1, deals=1, contracts_signed=2, booked_value="25.00",
                                      shipped_value="25.00", delivered_value="25.00",
                                      orphan_shipments=1, unshipped_contracts=1),
}


@pytest.fixture(scope="module")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture's raw tables built through `dbt build` (models, seeds, data and unit tests)."""
    data_dir = tmp_path_factory.mktemp("hub_data")
    write_raw_tables(data_dir / "warehouse.duckdb", FIXTURE)
    dbt(["build"], data_dir)
    return data_dir / "warehouse.duckdb"


def test_every_month_and_channel_figure_matches_the_hand_computed_one(built_warehouse: Path) -> None:
    assert mart_rows(built_warehouse) == EXPECTED


def test_incremental_build_takes_a_late_restatement_outside_the_window(tmp_path: Path) -> None:
    """A Meta row restated after the first build is rebuilt even though its day is older than the
    restatement window (the window is 28 days back from the latest ad day, 2026-02-02)."""
    warehouse = tmp_path / "warehouse.duckdb"
    write_raw_tables(warehouse, FIXTURE)
    dbt(["build", "--select", "+mart_sales_vs_fulfilment", "--indirect-selection", "cautious"], tmp_path)
    with duckdb.connect(str(warehouse)) as con:
        restated = dict(FIXTURE["meta__insights"][0].record, spend="20.02")  # 2026-01-03, was 10.01
        con.execute(
            "update raw.meta__insights set _record = ?, _loaded_at = current_timestamp"
            " where _pk = 'act_1001:11:2026-01-03'",
            [json.dumps(restated)],
        )
    dbt(["build", "--select", "+mart_sales_vs_fulfilment", "--indirect-selection", "cautious"], tmp_path)

    with duckdb.connect(str(warehouse)) as con:
        converted = con.execute(
            "select spend_reporting from main.fct_ad_spend where ad_row_id = 'meta:act_1001:11:2026-01-03'"
        ).fetchone()
    assert converted == (Decimal("16.02"),)  # 20.02 / 1.25 = 16.016
    assert mart_rows(warehouse)[("2026-01", "meta")]["spend"] == Decimal("26.02")


def test_a_rate_whose_day_does_not_parse_is_quarantined_once_and_sets_no_rate(built_warehouse: Path,
                                                                               tmp_path: Path) -> None:
    """Its key held a null day, so each reload of the raw row added a duplicate: keyed by the raw
    key, it stays one row, listed in dq_quarantined_values, and 2026-01-05's rate governs on."""
    warehouse = tmp_path / "warehouse.duckdb"
    for suffix in ("", ".wal"):  # the build is over: the file and its write-ahead log are the database
        if (source := Path(f"{built_warehouse}{suffix}")).exists():
            Path(f"{warehouse}{suffix}").write_bytes(source.read_bytes())
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update raw.ecb__rates set _loaded_at = current_timestamp")  # ECB sent them all again
    dbt(["build", "--select", "stg_ecb__rates", "int_fx_rates__ranged", "dq_quarantined_values",
         "--exclude", "test_type:unit"], tmp_path)
    with duckdb.connect(str(warehouse)) as con:  # as dbt's own in-process connection opened it
        staged = con.execute("select rate_id, rate_date from stg_ecb__rates where currency_code = 'USD' "
                             "order by rate_id").fetchall()
        quarantined = con.execute("select model_name, record_id, column_name, raw_value, effect "
                                  "from dq_quarantined_values").fetchall()
        ranges = con.execute("select valid_from, valid_to, rate_scaled from int_fx_rates__ranged "
                             "where currency_code = 'USD' order by valid_from").fetchall()
    assert staged == [("USD:2026-01-02", date(2026, 1, 2)), ("USD:2026-01-05", date(2026, 1, 5)),
                      ("USD:2026-01-06T00:00:00Z", None)]
    assert quarantined == [("stg_ecb__rates", "USD:2026-01-06T00:00:00Z", "rate_date", "2026-01-06T00:00:00Z",
                            "previous rate governs")]
    assert ranges == [(date(2026, 1, 2), date(2026, 1, 5), 125000000), (date(2026, 1, 5), None, 110000000)]


def _copy(warehouse: Path, data_dir: Path) -> None:
    """A copy of the built warehouse as `data_dir`'s, checkpointed first (dbt ran in this process)."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute("checkpoint")
    shutil.copy(warehouse, data_dir / "warehouse.duckdb")


def _on_time(warehouse: Path) -> tuple[tuple, tuple]:
    """C-1's timeliness in mart_contract_fulfilment and its month x channel counts and rates."""
    with duckdb.connect(str(warehouse)) as con:
        contract = con.execute(
            "select is_due, is_shipped_on_time, is_delivered_on_time, fully_shipped_date, fully_delivered_date "
            "from mart_contract_fulfilment where contract_number = 'C-1'").fetchone()
        month = con.execute(
            "select sum(contracts_due), sum(contracts_shipped_on_time), sum(contracts_delivered_on_time), "
            "max(shipped_on_time_rate), max(delivered_on_time_rate) from mart_sales_vs_fulfilment "
            "where month = date '2026-01-01' and channel = 'meta'").fetchone()
    return contract, month


def test_on_time_counts_only_contracts_due_by_the_clock(built_warehouse: Path, tmp_path: Path) -> None:
    """C-1 (promised 2026-02-15) is fully shipped on 2026-02-05, but one shipment never delivers.
    Before its promise it is neither on time nor late; once the clock passes the promise it is
    shipped on time and not delivered on time."""
    with duckdb.connect(str(built_warehouse)) as con:
        (clock,) = con.execute("select max(as_of_date) from int_report_months__spined").fetchone()
    assert clock <= date(2026, 2, 15), "the fixture's own clock must come before C-1's promise"
    assert _on_time(built_warehouse) == (
        (False, None, None, date(2026, 2, 5), None), (0, 0, 0, None, None))

    _copy(built_warehouse, tmp_path)
    dbt(["run", "--select", "int_report_months__spined+", "--vars", "{as_of: '2026-03-01'}"], tmp_path)
    assert _on_time(tmp_path / "warehouse.duckdb") == (
        (True, True, False, date(2026, 2, 5), None), (1, 1, 0, 1.0, 0.0))


def test_a_duplicate_key_fails_the_source_and_staging_key_tests(built_warehouse: Path, tmp_path: Path) -> None:
    """Nothing in DuckDB keeps raw `_pk` unique (the load merges, no index): the key tests must.
    A duplicate in raw fails its source's test and dbt builds nothing on it; one in staging fails
    the staging model's test."""
    _copy(built_warehouse, tmp_path)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute("insert into raw.hubspot__contacts select * from raw.hubspot__contacts where _pk = '101'")
        con.execute("insert into main.stg_hubspot__contacts select * from main.stg_hubspot__contacts "
                    "where contact_id = '102'")
    result = invoke_dbt(["build", "--select", "source:hubspot.contacts", "stg_hubspot__contacts"], tmp_path)
    status = {r.node.name: str(r.status) for r in result.result.results}
    assert status["source_primary_key_hubspot_contacts__pk___pk"] == "fail"
    assert status["stg_hubspot__contacts"] == "skipped"
    result = invoke_dbt(["test", "--select", "stg_hubspot__contacts"], tmp_path)
    status = {r.node.name: str(r.status) for r in result.result.results}
    assert status["primary_key_stg_hubspot__contacts_contact_id__contact_id"] == "fail", status
