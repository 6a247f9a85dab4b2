"""`python -m pipelines.privacy.forget --email ADDRESS`: delete one person's records everywhere the hub keeps them.

A person is found by their email address: every vendor record that holds it as a JSON string value
(a HubSpot or Salesforce lead or contact, a DocuSign envelope with them as signer, a ShipStation
shipment to it) is deleted whole, and so is every record of their contracts and what hangs off it
(`LINKS`): a ShipStation shipment's `external_order_id` or a Shippo order's `order_number` is the
envelope's `contract_number`, the hub's join key, and names them and their address; Shippo's
transactions, shipments and tracks hang off those orders by id, Salesforce's contact roles off
their contacts. Every catalogued vendor's streams are scrubbed, not only the configured ones: a
vendor used before a switch still holds them. In this order:
1. landing: the record is cut out of every landed page (a page that is the record is dropped with
   its line in the keys file; a CSV page, a Salesforce Bulk result set, loses the record's row and
   keeps its header and keys line), so a rebuild from the landed pages cannot bring it back;
2. raw: its row in the raw table (and any quarantined copy) is deleted;
3. the lake (HUB_LAKE_DIR, connectors/lake.py): each Parquet file holding it is rewritten without it;
4. staging, marts and the published files: dbt builds every model anew from the cleaned raw
   layer (`--full-refresh`: incremental staging keeps deleted rows otherwise) and, when its tests
   pass, the marts are published again (marts.duckdb, Parquet, report).
Figures that do not depend on the person come out unchanged. The vendors still hold the person:
delete them there too, or the next incremental fetch of a record they change brings it back.
"""

from __future__ import annotations

import argparse
import csv
import io
import logging
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson

from connectors import warehouse as warehouse_db
from connectors.landing import keys_path, landed_segments, stream_dir
from connectors.streams import CATALOGUE
from pipelines.publish.atomic import write_atomically
from pipelines.publish.marts_file import sql_literal

log = logging.getLogger(__name__)
_EMAIL = re.compile(r"[^@\s\"'\\]+@[^@\s\"'\\]+\.[^@\s\"'\\]+")


@dataclass
class ForgetReport:
    """What was deleted, per place and stream."""

    landing: dict[str, int] = field(default_factory=dict)  # records cut out of landed pages
    raw: dict[str, int] = field(default_factory=dict)  # rows deleted from raw tables
    lake: dict[str, int] = field(default_factory=dict)  # rows dropped from lake files
    published_run_id: str | None = None

    def lines(self) -> list[str]:
        """One line per place, for the command's output."""
        def counts(found: dict[str, int]) -> str:
            return ", ".join(f"{name} {count}" for name, count in sorted(found.items()) if count) or "none"

        published = f"republished as {self.published_run_id}" if self.published_run_id else "not republished"
        return [f"landing: {counts(self.landing)}", f"raw: {counts(self.raw)}", f"lake: {counts(self.lake)}",
                f"marts: rebuilt, {published}"]


# The record fields that tie a record to a person by id, beyond the email it holds: the contract
# numbers of their envelopes, and the ids find_person follows from those records.
# A name ending in `[*].object_id` is a list of objects, one of whose `object_id` is theirs.
LINKS = ("external_order_id", "order_number", "order", "rates[*].object_id", "transaction", "ContactId")
IN_LIST = "[*].object_id"


@dataclass(frozen=True)
class Person:
    """Whom to forget: the email as a JSON string value (lowercased) and, per field of `LINKS`, the ids
    that make a record holding one of them theirs."""

    text: str
    orders: tuple[str, ...] = ()  # the contract numbers of their envelopes
    ids: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (field of LINKS, their ids) beyond `orders`

    def links(self) -> dict[str, list[str]]:
        """Each field of LINKS with the person's ids in it."""
        found = {"external_order_id": list(self.orders), "order_number": list(self.orders), **dict(self.ids)}
        return {name: list(found[name]) for name in LINKS if found.get(name)}

    def markers(self) -> list[bytes]:
        """What a serialised record of theirs contains, lowercased: the email or one of their ids as JSON strings."""
        return [self.text.encode(), *(orjson.dumps(v).lower() for values in self.links().values() for v in values)]

    def holds(self, record: Any) -> bool:
        """Whether a parsed vendor record is this person's: it holds the email, or one of their ids (`LINKS`)."""
        if self.text in orjson.dumps(record).decode().lower():
            return True
        if not isinstance(record, dict):
            return False
        for name, values in self.links().items():
            if name.endswith(IN_LIST):
                items = record.get(name.removesuffix(IN_LIST))
                found = [item.get("object_id") for item in items if isinstance(item, dict)] if isinstance(items, list) else []
            else:
                found = [record.get(name)]
            if any(value in values for value in found if isinstance(value, str)):
                return True
        return False

    def sql(self, column: str) -> tuple[str, list[Any]]:
        """The same test on a JSON column, as a SQL condition and its parameters."""
        conditions, params = [f"contains(lower(cast({column} as varchar)), ?)"], [self.text]
        for name, values in self.links().items():
            if name.endswith(IN_LIST):
                conditions.append(f"len(list_intersect(?, json_extract_string({column}, '$.{name}'))) > 0")
            else:
                conditions.append(f"list_contains(?, {column} ->> '{name}')")
            params.append(values)
        return "(" + " or ".join(conditions) + ")", params


def needle(email: str) -> str:
    """The email as a JSON string value, lowercased: what a record holding it contains."""
    address = email.strip().lower()
    if not _EMAIL.fullmatch(address):
        raise ValueError(f"--email {email!r} is not an email address (name@domain.tld): nothing was deleted")
    return orjson.dumps(address).decode()


def find_person(email: str, warehouse: Path) -> Person:
    """The person with `email`, the contract numbers of the DocuSign envelopes they signed, and the ids
    of the records that hang off theirs (Shippo's orders, transactions and rates; Salesforce's contacts)."""
    text = needle(email)
    with warehouse_db.connect(warehouse, read_only=True) as con:
        envelopes = [orjson.loads(record) for (record,) in con.execute(
            "select cast(_record as varchar) from raw.docusign__envelopes where contains(lower(cast(_record as varchar)), ?)",
            [text],
        ).fetchall()] if _has_table(con, "docusign__envelopes") else []
        orders = tuple(sorted({
            field["value"]
            for envelope in envelopes
            for field in ((envelope.get("customFields") or {}).get("textCustomFields") or [])
            if field.get("name") == "contract_number" and field.get("value")
        }))
        holding = "contains(lower(cast(_record as varchar)), ?)"
        shippo_orders = _ids(con, "shippo__orders", "object_id", f"({holding} or list_contains(?, _record->>'order_number'))",
                             [text, list(orders)])
        order_of_theirs = "list_contains(?, _record->>'order')"
        transactions = _ids(con, "shippo__transactions", "object_id", order_of_theirs, [shippo_orders])
        rates = _ids(con, "shippo__transactions", "rate", order_of_theirs, [shippo_orders])
        contacts = [*_ids(con, "salesforce__contacts", "Id", holding, [text]),
                    *_ids(con, "salesforce__leads", "ConvertedContactId", holding, [text])]
    ids = {"order": shippo_orders, "transaction": transactions, "rates[*].object_id": rates, "ContactId": contacts}
    return Person(text, orders, tuple((name, tuple(sorted(set(values)))) for name, values in ids.items() if values))


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("select 1 from duckdb_tables() where schema_name = 'raw' and table_name = ?", [name]).fetchall())


def _ids(con: duckdb.DuckDBPyConnection, table: str, field: str, condition: str, params: list[Any]) -> list[str]:
    """`field` of the rows of raw.`table` (when ingested) meeting `condition`."""
    if not _has_table(con, table):
        return []
    rows = con.execute(f"select distinct _record->>'{field}' from raw.\"{table}\" where {condition}", params).fetchall()
    return [value for (value,) in rows if value]


def scrub_landing(landing_dir: Path, person: Person) -> dict[str, int]:
    """Cut the person's records out of every landed page, JSON or CSV; returns records cut per stream."""
    removed: dict[str, int] = {}
    runs = [run for run in landing_dir.iterdir() if run.is_dir() and not run.name.startswith("_")] if landing_dir.is_dir() else []
    for run in sorted(runs):
        for name, spec in CATALOGUE.items():
            for segment in landed_segments(stream_dir(landing_dir, run.name, spec.system, spec.stream), None):
                if segment.suffix == ".csv":
                    cut = _scrub_csv_segment(segment, person)
                elif spec.shape.page_format == "json":
                    cut = _scrub_segment(segment, spec.shape.records_path, person)
                else:
                    continue
                if cut:
                    removed[name] = removed.get(name, 0) + cut
    journal = landing_dir / "_journal"
    for path in sorted(journal.glob("*/*.jsonl")) if journal.is_dir() else []:
        markers = person.markers()
        kept = [line for line in path.read_bytes().splitlines(keepends=True)
                if not any(marker in line.lower() for marker in markers)]
        if len(kept) != len(path.read_bytes().splitlines()):
            write_atomically(path, b"".join(kept))
    return removed


def _scrub_segment(segment: Path, records_path: str, person: Person) -> int:
    """Rewrite one segment without the person's records; a page that is itself such a record is dropped."""
    lines = segment.read_bytes().splitlines()
    markers = person.markers()
    if not any(marker in line.lower() for line in lines for marker in markers):
        return 0
    keys_file = keys_path(segment)
    keys = keys_file.read_bytes().splitlines() if keys_file.exists() else None
    steps = [step for step in records_path.split(".")[1:] if step] if records_path not in ("", "$") else []
    kept_lines, kept_keys, cut = [], [], 0
    for number, line in enumerate(lines):
        if not line.strip():
            continue
        page = orjson.loads(line)
        if records_path.startswith("$[*]"):
            page, count = _filter_list(page, steps, person)
        elif steps:
            page, count = _filter(page, steps, person)
        else:
            page, count = (None, 1) if person.holds(page) else (page, 0)
        cut += count
        if page is not None:
            kept_lines.append(orjson.dumps(page) if count else line)
            if keys is not None:
                kept_keys.append(keys[number])
    write_atomically(segment, b"".join(line + b"\n" for line in kept_lines))
    if keys is not None:
        write_atomically(keys_file, b"".join(key + b"\n" for key in kept_keys))
    return cut


def _scrub_csv_segment(segment: Path, person: Person) -> int:
    """Rewrite one CSV segment (one page: a Salesforce Bulk result set) without the rows that are the
    person's records; its header, the other rows' bytes and its keys line stay as landed."""
    data = segment.read_bytes()
    if not any(marker.strip(b'"') in data.lower() for marker in person.markers()):
        return 0
    try:
        rows = list(_csv_rows(data.decode("utf-8")))
    except (UnicodeDecodeError, csv.Error):  # a damaged page: any line naming them goes (replay quarantines the rest)
        lines = data.splitlines(keepends=True)
        kept = [line for line in lines if not any(m.strip(b'"') in line.lower() for m in person.markers())]
        write_atomically(segment, b"".join(kept))
        return len(lines) - len(kept)
    header = rows[0][0] if rows else []
    kept_text = [text for number, (row, text) in enumerate(rows) if not number or not person.holds(dict(zip(header, row)))]
    if len(kept_text) < len(rows):
        write_atomically(segment, "".join(kept_text))
    return len(rows) - len(kept_text)


def _csv_rows(text: str) -> Iterator[tuple[list[str], str]]:
    """Each row of a CSV text with the exact text it was read from (a quoted field may span lines)."""
    read: list[str] = []

    def lines() -> Iterator[str]:
        for line in io.StringIO(text, newline=""):
            read.append(line)
            yield line

    for row in csv.reader(lines()):
        yield row, "".join(read)
        read.clear()


def _filter(node: Any, steps: list[str], person: Person) -> tuple[Any, int]:
    """`node` with the person's records at `steps` (`key`, `key[*]`) removed, and how many."""
    step, rest = steps[0], steps[1:]
    key = step.removesuffix("[*]")
    if not isinstance(node, dict) or key not in node:
        return node, 0
    if step.endswith("[*]"):
        filtered, count = _filter_list(node[key], rest, person)
    else:
        filtered, count = _filter(node[key], rest, person) if rest else (node[key], 0)
    return {**node, key: filtered}, count


def _filter_list(items: Any, rest: list[str], person: Person) -> tuple[Any, int]:
    """A list of records (`rest` empty) without the person's, or each item filtered further."""
    if not isinstance(items, list):
        return items, 0
    if not rest:
        kept = [item for item in items if not person.holds(item)]
        return kept, len(items) - len(kept)
    results = [_filter(item, rest, person) for item in items]
    return [item for item, _ in results], sum(count for _, count in results)


def scrub_raw(warehouse: Path, person: Person) -> dict[str, int]:
    """Delete the person's raw rows (and quarantined records); returns rows deleted per table."""
    deleted: dict[str, int] = {}
    with warehouse_db.connect(warehouse) as con:
        tables = {name for (name,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'raw'").fetchall()}
        for name in [*CATALOGUE, "_quarantine"]:
            if name not in tables:
                continue
            column = "record" if name == "_quarantine" else "_record"
            condition, params = person.sql(f'try_cast("{column}" as json)')
            (count,) = con.execute(f'select count(*) from raw."{name}" where {condition}', params).fetchone()
            if count:
                con.execute(f'delete from raw."{name}" where {condition}', params)
                deleted[name] = count
    return deleted


def scrub_lake(lake_dir: Path | None, person: Person) -> dict[str, int]:
    """Rewrite every lake Parquet file holding the person's rows without them; returns rows dropped per stream."""
    dropped: dict[str, int] = {}
    if lake_dir is None or not lake_dir.is_dir():
        return dropped
    with duckdb.connect() as con:
        for path in sorted(lake_dir.rglob("*.parquet")):
            condition, params = person.sql("try_cast(_record as json)")
            (count,) = con.execute(f"select count(*) from read_parquet(?) where {condition}", [str(path), *params]).fetchone()
            if not count:
                continue
            staging = path.with_name(f".{path.name}.forget.tmp")
            con.execute(
                f"copy (select * from read_parquet(?) where not {condition}) to {sql_literal(staging)} (format parquet)",
                [str(path), *params],
            )
            os.replace(staging, path)
            stream = path.relative_to(lake_dir).parts[0]
            dropped[stream] = dropped.get(stream, 0) + count
    return dropped


def forget_person(
    email: str, data_dir: Path, lake_dir: Path | None, rebuild: Callable[[str], str | None]
) -> ForgetReport:
    """Delete the person with `email` from landing, raw and the lake, then `rebuild(run_id)` the marts and publish."""
    if not (data_dir / "warehouse.duckdb").exists():
        raise ValueError(f"no warehouse at {data_dir / 'warehouse.duckdb'}: set HUB_DATA_DIR to the hub's data dir; nothing was deleted")
    person = find_person(email, data_dir / "warehouse.duckdb")
    report = ForgetReport()
    report.landing = scrub_landing(data_dir / "landing", person)
    report.raw = scrub_raw(data_dir / "warehouse.duckdb", person)
    report.lake = scrub_lake(lake_dir, person)
    for line in report.lines()[:3]:
        log.info("forgot %s", line)
    report.published_run_id = rebuild(f"forget-{datetime.now(UTC):%Y%m%dT%H%M%SZ}")
    return report


def forget_command(email: str, data_dir: Path, lake_dir: Path | None) -> int:
    """Forget the person, rebuild and republish; print what went. 2 when the address is not one."""
    from pipelines.privacy.rebuild_marts import rebuild_and_publish

    try:
        report = forget_person(email, data_dir, lake_dir, lambda run_id: rebuild_and_publish(data_dir, run_id))
    except ValueError as exc:
        print(exc)
        return 2
    print("\n".join(report.lines()))
    return 0


def main(argv: list[str] | None = None) -> int:
    """`--email ADDRESS`, with HUB_DATA_DIR and HUB_LAKE_DIR from the settings."""
    parser = argparse.ArgumentParser(prog="python -m pipelines.privacy.forget", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--email", required=True, help="the person's email address, as the vendors hold it")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from pipelines.settings import load_settings

    settings = load_settings()
    lake_dir = settings.connectors.lake_dir.resolve() if settings.connectors.lake_dir else None
    return forget_command(args.email, settings.connectors.data_dir.resolve(), lake_dir)


if __name__ == "__main__":
    raise SystemExit(main())
