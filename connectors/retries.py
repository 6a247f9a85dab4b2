"""Per-record fetch errors: quarantined with their reason and asked again on a back-off, not every night.

A stream that asks the vendor once per record (ShipStation's `/track`) must not fail for one record
the vendor refuses, nor ask for it again every night. The refusal goes to `raw._quarantine` with
its reason and to `raw._retries` with the date of the next attempt: 2, 4, 8, 16, then every 30 days
after the last one. A record answered later leaves both tables; it is loaded like any other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import orjson

from connectors import warehouse

MAX_BACKOFF_DAYS = 30
RETRIES_DDL = (
    "create table if not exists raw._retries (stream varchar, pk varchar, reason varchar, failures integer, "
    "last_attempt date, next_attempt date, run_id varchar, primary key (stream, pk))"
)
def not_due_sql(key: str = "_pk") -> str:
    """Appended to a query over a stream's keys (`key`, e.g. an alias's `t._pk`): leaves out the records
    not due on day `?` (parameters: the stream, the day)."""
    return f" and {key} not in (select pk from raw._retries where stream = ? and next_attempt > ?)"


@dataclass(frozen=True)
class RecordError:
    """One record the vendor refused: its key and why."""

    pk: str
    reason: str


def next_attempt(day: date, failures: int) -> date:
    """The day to ask again after the `failures`-th refusal on `day` (1 -> 2 days later, 2 -> 4, ...)."""
    return day + timedelta(days=min(2**failures, MAX_BACKOFF_DAYS))


def waiting(path: Path, stream: str) -> dict[str, int] | None:
    """The records of `stream` refused before, with how many times (a short list: refusals only);
    None while no stream was ever refused (`raw._retries` is made by the first refusal)."""
    with warehouse.connect(path) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = '_retries'"
        ).fetchone()[0]
        if not exists:
            return None
        return dict(con.execute("select pk, failures from raw._retries where stream = ?", [stream]).fetchall())


def record_outcomes(path: Path, stream: str, run_id: str, day: date, before: dict[str, int],
                    refused: Iterable[RecordError], answered: Iterable[str]) -> None:
    """In one transaction: each refusal quarantined (replacing the record's earlier one) and given its
    next attempt; each record of `before` answered now leaves the quarantine and the retries."""
    refused = list(refused)
    done = [pk for pk in answered if pk in before]
    if not refused and not done:
        return None
    with warehouse.connect(path) as con:
        con.execute(RETRIES_DDL)
        con.begin()
        try:
            for pk in [*done, *(e.pk for e in refused)]:
                con.execute("delete from raw._retries where stream = ? and pk = ?", [stream, pk])
                con.execute("delete from raw._quarantine where stream = ? and pk = ?", [stream, pk])
            for error in refused:
                failures = before.get(error.pk, 0) + 1
                again = next_attempt(day, failures)
                reason = f"{error.reason} (refusal {failures}; asked again on {again.isoformat()})"
                con.execute("insert into raw._retries values (?, ?, ?, ?, ?, ?, ?)",
                            [stream, error.pk, error.reason, failures, day, again, run_id])
                con.execute(
                    "insert into raw._quarantine values (?, ?, ?, ?::json, ?, now() at time zone 'UTC')",
                    [stream, error.pk, reason, orjson.dumps({"pk": error.pk, "error": error.reason}).decode(), run_id],
                )
            con.commit()
        except BaseException:
            con.rollback()
            raise
