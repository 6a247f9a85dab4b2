"""`forget` on hand-made landed pages and raw tables: which records go, which stay, nothing else changes."""

from pathlib import Path

import duckdb
import orjson
import pytest

from connectors import warehouse as warehouse_db
from pipelines.privacy.forget import Person, needle, scrub_lake, scrub_landing, scrub_raw

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
