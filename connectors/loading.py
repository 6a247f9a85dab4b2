"""Loading landed pages into `raw.<stream>` with DuckDB's own readers, in one transaction.

The landed segments are parsed by DuckDB (`read_json_objects` / `read_csv`), never row by row in Python,
into Parquet batches (batches.py, outside the warehouse lock) that the load merges.
Each record gets its `_pk`, `_scope` and `_cursor`; records failing a check go to
`raw._quarantine`; the rest merge on `_pk`, keeping the latest version (highest `_cursor`, then
the last one landed). The stream's cursor and its `raw._loads` row commit with the data.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import duckdb

from connectors.batches import MISSING_ID, files_sql, sql_text
from connectors.spec import StreamSpec

log = logging.getLogger(__name__)

# The load's own connection (warehouse.connect opens one per use), tuned for merging staged Parquet
# (figures in bench/README.md, Connectors): a small memory cap makes DuckDB write row groups out
# early, so a large load peaks near a small one, and a second thread does not speed the insert up;
# zstd, which DuckDB never picks for JSON by itself, compresses `_record` faster and smaller; and
# a 1 MB checkpoint threshold makes a load below one row group commit by checkpointing instead of
# writing every record twice (uncompressed to the WAL, then compressed into the file).
FUTURE_CURSOR = "cursor in the future"  # the quarantine reason of a record modified after now plus the skew
# How far a vendor's clock may run ahead of ours: records dated later are quarantined, never the
# cursor (one record stamped in year 9229 would otherwise stop its stream for good). Ten minutes
# covers clocks kept by NTP many times over and is far below any overlap or restatement window.
CURSOR_SKEW = timedelta(minutes=10)
_SKEW_TEXT = f"{CURSOR_SKEW.seconds // 60} minutes"  # the reason stays the same from night to night: quarantined once
LOAD_SETTINGS = (
    "set memory_limit = '64MB'; set threads = 1; set force_compression = 'zstd'; set checkpoint_threshold = '1MB'"
)


@dataclass(frozen=True)
class LoadCounts:
    """What a load did to the raw table."""

    records: int
    inserted: int
    updated: int
    unchanged: int
    quarantined: int
    cursor_after: str | None


def cursor_limit(end_date: date | None, now: datetime | None = None) -> str:
    """The latest cursor value a load accepts: now plus CURSOR_SKEW, in UTC.

    A run told to look at a later day than today (HUB_END_DATE, e.g. the sandbox's clock) takes the
    end of that day as its now. Taken when the load starts: every page was fetched before it.
    """
    moment = now or datetime.now(timezone.utc)
    if end_date is not None:
        moment = max(moment, datetime.combine(end_date + timedelta(days=1), time(), timezone.utc))
    return (moment + CURSOR_SKEW).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _future_reason(limit: str) -> str:
    """SQL for a staged row's reason with one for a cursor beyond `limit` added (a cursor that is
    not a time is left to the stream's checks)."""
    return (
        f"coalesce(_reason, case when try_cast(_cursor as timestamptz) > {sql_text(limit)}::timestamptz then "
        f"{sql_text(f'{FUTURE_CURSOR}: ')} || _cursor || {sql_text(f' is later than now plus {_SKEW_TEXT} (the clock skew allowed); it does not move the cursor')} end)"
    )


# The staged rows of a stream without pages (same columns as batches.batch_sql, no rows).
NO_STAGED_ROWS = (
    "select null::varchar as _pk, null::varchar as _scope, null::varchar as _cursor, null::json as _record, "
    "null::varchar as _reason, null::varchar as _file, null::bigint as _page, null::bigint as _idx limit 0"
)


def load_pages(
    con: duckdb.DuckDBPyConnection,
    spec: StreamSpec,
    batches: Sequence[Path],
    run_id: str,
    cursor_before: str | None,
    explicit_cursor: str | None,
    limit: str | None = None,
) -> LoadCounts:
    """Quarantine and merge one stream's Parquet batches (batches.py); the caller owns the transaction.

    A record whose cursor lies beyond `limit` (cursor_limit) is quarantined and holds no cursor."""
    table = f"raw.{spec.name}"
    con.execute(LOAD_SETTINGS)  # the connection is the load's own (warehouse.connect opens one per use)
    _ensure_raw_table(con, table)
    # A view: the Parquet batches are read where needed, never copied into another table first.
    staged = f"select * from read_parquet({files_sql([str(b) for b in batches])})" if batches else NO_STAGED_ROWS
    if limit is not None:
        staged = f"select * replace ({_future_reason(limit)} as _reason) from ({staged})"
    con.execute(f"create or replace temp view _stage as {staged}")
    con.execute(
        "insert into raw._quarantine select ?, s._pk, s._reason, s._record, ?, now() at time zone 'UTC' "
        "from _stage s where s._reason is not null and not exists (select 1 from raw._quarantine q "
        "where q.stream = ? and q.pk is not distinct from s._pk and q.reason = s._reason "
        "and q.record::varchar = s._record::varchar)",
        [spec.name, run_id, spec.name],
    )
    records, quarantined, max_cursor, held, good = con.execute(
        "select count(*), count(*) filter (where _reason is not null), "
        "max(_cursor) filter (where _reason is null and _cursor <> ''), "
        f"min(_cursor) filter (where _reason like '{MISSING_ID}%' and _cursor <> ''), "
        "count(*) filter (where _reason is null) from _stage"
    ).fetchone()
    if held is not None and max_cursor is not None and held < max_cursor:
        # A record the vendor sent without its id loads only when it is sent whole: the next run
        # asks again from its cursor (at most back to where this run started, see below).
        max_cursor = held
    latest = "select _pk, _scope, _cursor, _record from _stage where _reason is null"
    # A grouping, not count(distinct): it spills to disk at the load's memory cap whatever the volume.
    copied = con.execute(
        "select exists (select _pk from _stage where _reason is null group by _pk having count(*) > 1)"
    ).fetchone()[0]
    if copied:  # a record landed twice (pages moved under us): keep its latest version in `_good`
        con.execute(
            f"create or replace temp table _good as {latest} "
            f"qualify row_number() over (partition by _pk order by _cursor desc, _file desc, _page desc, _idx desc) = 1"
        )
        good = con.execute("select count(*) from _good").fetchone()[0]
    rows = "select * from _good" if copied else latest
    if con.execute(f"select count(*) = 0 from (select 1 from {table} limit 1)").fetchone()[0]:
        # An empty table (a first load): nothing to compare with, a plain append.
        inserted, updated = good, 0
        con.execute(f"insert into {table} select _pk, _scope, _cursor, _record, ?, now() at time zone 'UTC' "
                    f"from ({rows})", [run_id])
    else:
        inserted, updated = _merge(con, table, rows, run_id)
    cursor_after = explicit_cursor if explicit_cursor is not None else max_cursor
    if cursor_before is not None and (cursor_after is None or cursor_after < cursor_before):
        cursor_after = cursor_before  # a cursor never moves back
    if cursor_after is not None:
        con.execute(
            "insert or replace into raw._cursors values (?, ?, ?, now() at time zone 'UTC')",
            [spec.name, cursor_after, run_id],
        )
    con.execute(f"{'drop table _good; ' if copied else ''}drop view _stage")
    return LoadCounts(
        records=records,
        inserted=inserted,
        updated=updated,
        unchanged=good - inserted - updated,
        quarantined=quarantined,
        cursor_after=cursor_after,
    )


def _ensure_raw_table(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Create the stream's raw table (docs/CONTRACTS.md section 4) if it is missing.

    No primary key: DuckDB holds a key index in memory while rows are added, so a first load of
    about 1M records failed at the load's 64 MB (and a failed commit invalidates the database),
    whatever the batch size. The load is the table's only writer and keeps `_pk` unique itself
    (`_merge`); its joins spill to disk instead. A table made with the key by an earlier version
    is rebuilt without it, once, inside this load's transaction.
    """
    schema, name = table.split(".")
    con.execute(
        f"create table if not exists {table} (_pk varchar, _scope varchar, "
        f"_cursor varchar, _record json, _run_id varchar, _loaded_at timestamp)"
    )
    keyed = con.execute(
        "select count(*) > 0 from duckdb_constraints() where schema_name = ? and table_name = ? "
        "and constraint_type = 'PRIMARY KEY'",
        [schema, name],
    ).fetchone()[0]
    if keyed:
        con.execute(f"create or replace table {table} as select * from {table}")


def _merge(con: duckdb.DuckDBPyConnection, table: str, rows_sql: str, run_id: str) -> tuple[int, int]:
    """Merge `rows_sql` (`_pk`, `_scope`, `_cursor`, `_record`, one row per key) into `table`:
    a new key is added, a stored row is replaced by a version as new or newer that differs from
    it, and kept otherwise; (inserted, updated).

    First the keys that change anything, in one pass over the stored rows; the join carries each
    record's 64-bit hash, not its text, so it stays small enough for the load's memory cap (two
    differing versions of one key share a hash with probability 2^-64). Then the rows those keys
    replace are deleted and the new versions added.
    """
    con.execute(
        f"create or replace temp table _changes as select g._pk, t._pk is not null as _replaces "
        f"from (select _pk, _cursor, hash(_record::varchar) as _hash from ({rows_sql})) g "
        f"left join (select _pk, _cursor, hash(_record::varchar) as _hash from {table}) t on t._pk = g._pk "
        f"where t._pk is null or (g._cursor >= t._cursor and g._hash <> t._hash)"
    )
    inserted, updated = con.execute(
        "select count(*) filter (where not _replaces), count(*) filter (where _replaces) from _changes"
    ).fetchone()
    if updated:
        con.execute(f"delete from {table} where _pk in (select _pk from _changes where _replaces)")
    if inserted or updated:  # a night that changed nothing does not read the staged rows again
        con.execute(
            f"insert into {table} select _pk, _scope, _cursor, _record, ?, now() at time zone 'UTC' "
            f"from ({rows_sql}) where _pk in (select _pk from _changes)",
            [run_id],
        )
    con.execute("drop table _changes")
    return inserted, updated


def read_cursor(con: duckdb.DuckDBPyConnection, stream: str) -> str | None:
    """The saved cursor of a stream, None before its first load."""
    row = con.execute("select cursor from raw._cursors where stream = ?", [stream]).fetchone()
    return row[0] if row else None
