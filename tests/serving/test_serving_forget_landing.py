"""`forget` on hand-made landed pages and raw tables, and on a tiny world through Shippo: which records go,
which stay, nothing else changes."""

from pathlib import Path

import duckdb
import orjson
import pytest

from connectors import warehouse as warehouse_db
from connectors.config import HubConfig
from connectors.ingest import ingest_stream
from pipelines.privacy.forget import Person, find_person, forget_person, needle, scrub_lake, scrub_landing, scrub_raw
from pipelines.sandbox_env import SYSTEM_PREFIXES, sandbox_env
from sandbox.server import running_sandbox

RUN = "run-1"
ADA = {"envelopeId": "e1", "recipients": {"signers": [{"name": "Ada Lind", "email": "Ada.Lind@example.com"}]},
       "customFields": {"textCustomFields": [{"name": "contract_number", "value": "CN-1"}]}}
BEN = {"envelopeId": "e2", "recipients": {"signers": [{"name": "Ben Ro", "email": "ben.ro@example.com"}]}}


def land(landing: Path, system: str, stream: str, pages: list, keys: list[str] | None = None) -> Path:
    segment = landing / RUN / system / stream / "_" / "pages-000001.json"
    segment.parent.mkdir(parents=True)
    segment.write_bytes(b"".join(orjson.dumps(page) + b"\n" for page in pages))
    if keys is not None:
        segment.with_suffix(".keys").write_text("".join(f"{key}\n" for key in keys))
    (segment.parent.parent / "_fetch.json").write_text("{}")
    return segment


def test_a_persons_records_are_cut_from_landed_pages_and_raw(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    envelopes = land(landing, "docusign", "envelopes", [{"envelopes": [ADA, BEN]}, {"envelopes": [BEN]}])
    shipments = land(landing, "shipstation", "shipments", [
        {"shipments": [{"shipment_id": "s1", "external_order_id": "CN-1", "ship_to": {"name": "Ada Lind"}},
                       {"shipment_id": "s2", "external_order_id": "CN-2", "ship_to": {"name": "Ben Ro"}}]}])
    tracking = land(landing, "shipstation", "tracking",
                    [{"label": "l1", "email": "ada.lind@example.com"}, {"label": "l2"}], keys=["l1", "l2"])
    person = Person(needle(" ADA.LIND@example.com "), ("CN-1",))

    assert scrub_landing(landing, person) == {
        "docusign__envelopes": 1, "shipstation__shipments": 1, "shipstation__tracking": 1}
    assert [orjson.loads(line) for line in envelopes.read_bytes().splitlines()] == [{"envelopes": [BEN]}, {"envelopes": [BEN]}]
    assert [s["shipment_id"] for s in orjson.loads(shipments.read_bytes())["shipments"]] == ["s2"]
    assert tracking.read_bytes().splitlines() == [b'{"label":"l2"}']
    assert tracking.with_suffix(".keys").read_text() == "l2\n"  # the page's key goes with it

    warehouse = tmp_path / "warehouse.duckdb"
    with warehouse_db.connect(warehouse) as con:
        con.execute("create table raw.docusign__envelopes (_pk varchar, _record json)")
        con.execute("insert into raw.docusign__envelopes values ('e1', ?), ('e2', ?)", [orjson.dumps(ADA).decode(), orjson.dumps(BEN).decode()])
        con.execute("delete from raw._quarantine")  # the warehouse module makes it
        for stream, record in (("x", '{"excerpt": "ada.lind@example.com"}'), ("y", '{"excerpt": "ben"}')):
            values = {"stream": stream, "record": record}
            con.execute(f"insert into raw._quarantine ({', '.join(values)}) values (?, ?)", list(values.values()))
    assert scrub_raw(warehouse, person) == {"docusign__envelopes": 1, "_quarantine": 1}
    with warehouse_db.connect(warehouse, read_only=True) as con:
        assert con.execute("select _pk from raw.docusign__envelopes").fetchall() == [("e2",)]


@pytest.mark.parametrize("email", ["not an email", "a@b", 'x"@example.com'])
def test_forget_refuses_what_is_not_an_email_address(email: str) -> None:
    with pytest.raises(ValueError, match="is not an email address .*nothing was deleted"):
        needle(email)


def test_the_lake_files_holding_a_person_are_rewritten_without_them(tmp_path: Path) -> None:
    folder = tmp_path / "lake" / "docusign__envelopes"
    folder.mkdir(parents=True)
    with duckdb.connect() as con:
        for stamp, rows in (("20260101T000000", [ADA, BEN]), ("20260102T000000", [BEN])):
            con.execute(
                f"copy (select * from (values {', '.join('(?, ?)' for _ in rows)}) t(_pk, _record)) "
                f"to '{folder / (stamp + '.parquet')}' (format parquet)",
                [value for row in rows for value in (row["envelopeId"], orjson.dumps(row).decode())],
            )
    person = Person(needle("ada.lind@example.com"))
    assert scrub_lake(tmp_path / "lake", person) == {"docusign__envelopes": 1}
    assert scrub_lake(None, person) == {}
    with duckdb.connect() as con:
        kept = con.execute("select _pk from read_parquet(?) order by all", [str(folder / "*.parquet")]).fetchall()
    assert kept == [("e2",), ("e2",)] and sorted(path.name for path in folder.iterdir()) == [
        "20260101T000000.parquet", "20260102T000000.parquet"]


def shippo_pages(landing: Path) -> dict[str, Path]:
    """One person's Shippo order (by contract number), its transaction, its shipment (by the rate bought) and
    its track (by the transaction), beside another customer's, as Shippo's list pages and a track."""
    def order(oid: str, number: str) -> dict:
        return {"object_id": oid, "order_number": number, "to_address": {"name": f"customer of {number}"}}

    def shipment(sid: str, rate: str) -> dict:
        return {"object_id": sid, "metadata": "", "rates": [{"object_id": rate, "amount": "5.00"}]}

    def transaction(tid: str, order: str, rate: str) -> dict:
        return {"object_id": tid, "order": order, "rate": rate, "tracking_number": f"1Z{tid}"}

    return {
        "orders": land(landing, "shippo", "orders", [{"results": [order("o1", "CN-1"), order("o2", "CN-2")], "next": None}]),
        "shipments": land(landing, "shippo", "shipments", [{"results": [shipment("s1", "r1"), shipment("s2", "r2")]}]),
        "transactions": land(landing, "shippo", "transactions",
                             [{"results": [transaction("t1", "o1", "r1"), transaction("t2", "o2", "r2")]}]),
        "tracking": land(landing, "shippo", "tracking", [{"transaction": "t1"}, {"transaction": "t2"}], keys=["t1", "t2"]),
    }


def test_a_shippo_customer_and_what_hangs_off_their_orders_are_found_and_cut(tmp_path: Path) -> None:
    """find_person follows the contract number to Shippo's order, its transactions and their rates; every
    Shippo stream loses exactly that person's records, in landing and raw (other vendors than the default ones)."""
    landing = tmp_path / "landing"
    pages = shippo_pages(landing)
    warehouse = tmp_path / "warehouse.duckdb"
    with warehouse_db.connect(warehouse) as con:
        for name, path in {"docusign__envelopes": None, **{f"shippo__{k}": v for k, v in pages.items()}}.items():
            con.execute(f"create table raw.{name} (_pk varchar, _record json)")
            records = [ADA, BEN] if path is None else [
                record for line in path.read_bytes().splitlines()
                for record in (orjson.loads(line).get("results") or [orjson.loads(line)])]
            for record in records:
                con.execute(f"insert into raw.{name} values (?, ?)", [str(len(record)), orjson.dumps(record).decode()])

    person = find_person("ada.lind@example.com", warehouse)
    assert dict(person.ids) == {"order": ("o1",), "transaction": ("t1",), "rates[*].object_id": ("r1",)}
    assert scrub_landing(landing, person) == {
        "shippo__orders": 1, "shippo__shipments": 1, "shippo__transactions": 1, "shippo__tracking": 1}
    left = {name: path.read_bytes() for name, path in pages.items()}
    assert all(b'"o1"' not in page and b'"t1"' not in page and b'"r1"' not in page for page in left.values())
    assert all(b'"o2"' in left[name] or b'"t2"' in left[name] or b'"r2"' in left[name] for name in left)
    assert pages["tracking"].with_suffix(".keys").read_text() == "t2\n"
    assert scrub_raw(warehouse, person) == {
        "docusign__envelopes": 1, "shippo__orders": 1, "shippo__shipments": 1, "shippo__transactions": 1,
        "shippo__tracking": 1}
    with warehouse_db.connect(warehouse, read_only=True) as con:
        kept = {name: con.execute(f"select _record->>'object_id', _record->>'transaction' from raw.shippo__{name}").fetchall()
                for name in pages}
    assert kept == {"orders": [("o2", None)], "shipments": [("s2", None)], "transactions": [("t2", None)],
                    "tracking": [(None, "t2")]}


def test_a_salesforce_lead_its_contact_and_the_contacts_roles_are_cut(tmp_path: Path) -> None:
    """Salesforce's lead and contact hold the email; the contact's opportunity roles hang off its Id."""
    landing = tmp_path / "landing"
    lead = {"Id": "00Q1", "Email": "ada.lind@example.com", "ConvertedContactId": "0031"}
    contacts = land(landing, "salesforce", "contacts", [{"done": True, "records": [
        {"Id": "0031", "Email": "Ada.Lind@example.com"}, {"Id": "0032", "Email": "ben.ro@example.com"}]}])
    land(landing, "salesforce", "leads", [{"done": True, "records": [lead]}])
    roles = land(landing, "salesforce", "opportunity_contact_roles", [{"done": True, "records": [
        {"Id": "00K1", "ContactId": "0031", "OpportunityId": "0061"},
        {"Id": "00K2", "ContactId": "0032", "OpportunityId": "0061"}]}])
    warehouse = tmp_path / "warehouse.duckdb"
    with warehouse_db.connect(warehouse) as con:
        con.execute("create table raw.salesforce__leads (_pk varchar, _record json)")
        con.execute("insert into raw.salesforce__leads values ('00Q1', ?)", [orjson.dumps(lead).decode()])

    person = find_person("ada.lind@example.com", warehouse)
    assert dict(person.ids) == {"ContactId": ("0031",)}
    assert scrub_landing(landing, person) == {
        "salesforce__contacts": 1, "salesforce__leads": 1, "salesforce__opportunity_contact_roles": 1}
    assert [r["Id"] for r in orjson.loads(contacts.read_bytes())["records"]] == ["0032"]
    assert [r["Id"] for r in orjson.loads(roles.read_bytes())["records"]] == ["00K2"]


# What the Shippo records of a person's contracts are, from the raw tables before the forget: their
# orders by order_number, those orders' transactions, the shipments of the rates bought, their tracks.
THEIR_SHIPPO = """
with contracts as (
    select f->>'value' as number
    from raw.docusign__envelopes, unnest(from_json(_record->'customFields'->'textCustomFields', '["json"]')) as t(f)
    where contains(lower(_record::varchar), ?) and f->>'name' = 'contract_number'
), orders as (select _pk, _record->>'object_id' as id from raw.shippo__orders where _record->>'order_number' in (from contracts)),
transactions as (select _pk, _record->>'object_id' as id, _record->>'rate' as rate from raw.shippo__transactions
                 where _record->>'order' in (select id from orders))
select 'shippo__orders', _pk from orders
union all select 'shippo__transactions', _pk from transactions
union all select 'shippo__shipments', _pk from raw.shippo__shipments
    where len(list_intersect(json_extract_string(_record, '$.rates[*].object_id'), (select list(rate) from transactions))) > 0
union all select 'shippo__tracking', _pk from raw.shippo__tracking where _record->>'transaction' in (select id from transactions)
"""


def test_a_person_whose_contracts_shipped_through_shippo_leaves_every_shippo_stream(tmp_path: Path) -> None:
    """Tiny world, DocuSign and Shippo over HTTP: a signer whose contract has a tracked Shippo label is cut from
    landing and raw with their orders, labels, shipments and tracks, and no other record goes."""
    data = tmp_path / "data"
    names = ["docusign__envelopes", "shippo__orders", "shippo__shipments", "shippo__transactions", "shippo__tracking"]
    with running_sandbox(seed=1, scale="tiny", data_dir=tmp_path / "worlds") as sb:
        env = {**sandbox_env(sb.url, list(SYSTEM_PREFIXES), oauth=False), "HUB_DATA_DIR": str(data),
               "HUB_START_DATE": "2025-10-01", "HUB_FULFILMENT": "shippo", "HUB_RATE_LIMIT_TIME_SCALE": "60"}
        config = HubConfig.from_env(env)
        for name in names:
            ingest_stream(name, config, "night-1")
    warehouse = data / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (email,) = con.execute(
            "select lower(s->>'email') from raw.docusign__envelopes, "
            "unnest(from_json(_record->'recipients'->'signers', '[\"json\"]')) as t(s), "
            "unnest(from_json(_record->'customFields'->'textCustomFields', '[\"json\"]')) as c(f) "
            "join raw.shippo__orders o on o._record->>'order_number' = f->>'value' "
            "join raw.shippo__transactions x on x._record->>'order' = o._record->>'object_id' "
            "join raw.shippo__tracking k on k._record->>'transaction' = x._record->>'object_id' "
            "order by all limit 1").fetchone()
        theirs = con.execute(THEIR_SHIPPO, [orjson.dumps(email).decode()]).fetchall()
        before = {name: {pk for (pk,) in con.execute(f"select _pk from raw.{name}").fetchall()} for name in names[1:]}
        ids = [i for (i,) in con.execute("select _record->>'object_id' from raw.shippo__orders where _pk in ? union all "
                                         "select _record->>'object_id' from raw.shippo__transactions where _pk in ?",
                                         [[pk for _, pk in theirs], [pk for _, pk in theirs]]).fetchall()]
    assert {name for name, _ in theirs} == set(names[1:])

    report = forget_person(email, data, None, lambda run_id: None)
    cut = {name: {pk for table, pk in theirs if table == name} for name in names[1:]}
    assert {name: report.raw[name] for name in names[1:]} == {name: len(pks) for name, pks in cut.items()}
    assert {name: report.landing[name] for name in names[1:]} == {name: len(pks) for name, pks in cut.items()}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        after = {name: {pk for (pk,) in con.execute(f"select _pk from raw.{name}").fetchall()} for name in names[1:]}
    assert after == {name: before[name] - cut[name] for name in names[1:]}
    landed = b"".join(path.read_bytes() for path in (data / "landing").rglob("*") if path.is_file())
    assert ids and not [i for i in ids if i.encode() in landed] and email.encode() not in landed.lower()


def test_a_persons_rows_are_cut_from_a_bulk_csv_page_and_its_header_and_keys_line_stay(tmp_path: Path) -> None:
    from connectors.landing import Lander, keys_path, stream_dir

    landing = tmp_path / "landing"
    header = '"Id","Email","Description"\n'
    ada = '"003A","ada.lind@example.com","first"\n'
    ben = '"003B","ben.ro@example.com","two\nlines, quoted"\n'  # a quoted field over two lines keeps its bytes
    roles = ('"Id","ContactId","Role"\n', '"00KA","003A","Buyer"\n', '"00KB","003B","Payer"\n')
    pages = {"contacts": header + ada + ben, "opportunity_contact_roles": "".join(roles)}
    segments = {}
    for stream, body in pages.items():
        lander = Lander(stream_dir(landing, RUN, "salesforce", stream))
        lander.write("", body.encode(), key=orjson.dumps({"job": "750J", "locator": None}).decode(), extension="csv")
        (segments[stream],) = lander.seal()
    person = Person(needle("ada.lind@example.com"), ids=(("ContactId", ("003A",)),))

    assert scrub_landing(landing, person) == {"salesforce__contacts": 1, "salesforce__opportunity_contact_roles": 1}
    assert segments["contacts"].read_text() == header + ben
    assert segments["opportunity_contact_roles"].read_text() == roles[0] + roles[2]
    assert keys_path(segments["contacts"]).read_text() == '{"job":"750J","locator":null}\n'  # still its one page's line
    assert scrub_landing(landing, person) == {}  # nothing of theirs is left to cut
