"""The raw layer as Parquet files, for engines past one machine (Spark, a lakehouse on object storage).

Layout: `<lake>/<stream>/<loaded_at>.parquet`, each file the rows of `raw.<stream>` with the
columns of the DuckDB table (`_pk`, `_scope`, `_cursor`, `_record` as JSON text, `_run_id`,
`_loaded_at`) that loads stamped after the previous file's `<loaded_at>`. A load therefore writes
only what it inserted or updated; a reader keeps the latest `_loaded_at` of each `_pk`, which is
exactly the DuckDB table (the loads never delete a raw row, they replace it with a newer stamp).
`export_raw_layer` compacts a stream to one file. Parquet, not Delta or Iceberg: Spark reads it
natively, while the others need jars a cluster may lack and this machine cannot download.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import duckdb

from connectors import warehouse as warehouse_file

log = logging.getLogger(__name__)

STAMP_FORMAT = "%Y%m%dT%H%M%S%f"  # a file's name: the latest `_loaded_at` it holds, to the microsecond
EMPTY_STAMP = datetime(1, 1, 1)  # the name of a stream's file with no rows (its schema only)
COLUMNS = "_pk, _scope, _cursor, cast(_record as varchar) as _record, _run_id, _loaded_at"
EMPTY_ROWS = (
    "select null::varchar as _pk, null::varchar as _scope, null::varchar as _cursor, null::varchar as _record, "
    "null::varchar as _run_id, null::timestamp as _loaded_at limit 0"
)


def _stamp(name: str) -> datetime | None:
    try:
        return datetime.strptime(name.removesuffix(".parquet"), STAMP_FORMAT)
    except ValueError:
        return None


def watermark(folder: Path) -> datetime | None:
    """The latest `_loaded_at` the stream's files hold (their newest name), None without files."""
    stamps = [s for s in (_stamp(p.name) for p in folder.glob("*.parquet")) if s is not None]
    return max(stamps, default=None)


ROW_GROUP_BYTES = "32MB"  # well inside the warehouse connection's memory limit (warehouse.MEMORY_LIMIT)


def _write(con: duckdb.DuckDBPyConnection, rows_sql: str, folder: Path, stamp: datetime) -> Path:
    """COPY `rows_sql` to `<folder>/<stamp>.parquet` through a hidden temporary name (readers skip
    names starting with '.', so they never see half a file)."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{stamp.strftime(STAMP_FORMAT)}.parquet"
    partial = folder / f".{final.name}.partial"
    # Row order means nothing in the lake (readers take the latest `_loaded_at` per `_pk`); keeping it
    # made the COPY buffer a whole big table, past the warehouse connection's memory limit (large:
    # 515k contacts failed at 256 MB), and a row group by rows alone outgrew it with big records
    # (98k ShipStation shipments), so row groups are capped in bytes. Restored after: `con` may be a
    # load's connection.
    kept_order = con.execute("select current_setting('preserve_insertion_order')").fetchone()[0]
    con.execute("set preserve_insertion_order = false")
    try:
        con.execute(f"copy ({rows_sql}) to '{partial}' (format parquet, compression zstd, "
                    f"row_group_size_bytes '{ROW_GROUP_BYTES}')")
    finally:
        con.execute(f"set preserve_insertion_order = {'true' if kept_order else 'false'}")
    os.replace(partial, final)
    return final


def _timestamp_sql(moment: datetime) -> str:
    return f"timestamp '{moment.isoformat(sep=' ')}'"


def _has_table(con: duckdb.DuckDBPyConnection, stream: str) -> bool:
    return con.execute(
        "select count(*) > 0 from information_schema.tables where table_schema = 'raw' and table_name = ?", [stream]
    ).fetchone()[0]


def export_changes(con: duckdb.DuckDBPyConnection, lake_dir: Path, stream: str) -> Path | None:
    """Write the rows of `raw.<stream>` stamped after the stream's watermark as one new file.

    Called after each load commits, on the load's connection (the warehouse lock still held, so
    stamps arrive in order). A load whose file was never written (a crash after the commit) is
    caught up by the next one, since the watermark is what the lake holds, not what was loaded.
    """
    if not _has_table(con, stream):
        return None
    folder = lake_dir / stream
    since = watermark(folder)
    where = f"where _loaded_at > {_timestamp_sql(since)}" if since is not None else ""
    latest = con.execute(f"select max(_loaded_at) from raw.{stream} {where}").fetchone()[0]
    if latest is None:
        return None
    rows = f"select {COLUMNS} from raw.{stream} {where} {'and' if where else 'where'} _loaded_at <= {_timestamp_sql(latest)}"
    path = _write(con, rows, folder, latest)
    log.info("%s: lake file %s written", stream, path)
    return path


def catch_up(con: duckdb.DuckDBPyConnection, lake_dir: Path, streams: Iterable[str]) -> None:
    """Bring each stream's files up to its raw table (`export_changes`), and give a stream with
    neither files nor table a file with no rows, so a reader finds every stream's schema.

    Before a Spark build: cheap when every load wrote its own rows, complete when the lake was set
    after the warehouse had data. `con` is the caller's, which holds the warehouse lock.
    """
    for stream in streams:
        export_changes(con, lake_dir, stream)
        if watermark(lake_dir / stream) is None:
            _write(con, EMPTY_ROWS, lake_dir / stream, EMPTY_STAMP)


def export_raw_layer(warehouse: Path, lake_dir: Path, streams: Iterable[str]) -> list[Path]:
    """Write every stream's whole raw table as one file and remove its older files (compaction).

    For an existing warehouse, or now and then to keep the file count low. A stream without a
    raw table gets a file with no rows, so readers find every stream's schema.
    """
    written = []
    with warehouse_file.connect(warehouse, read_only=True) as con:
        for stream in streams:
            folder = lake_dir / stream
            if _has_table(con, stream):
                latest = con.execute(f"select max(_loaded_at) from raw.{stream}").fetchone()[0]
                rows = f"select {COLUMNS} from raw.{stream}"
            else:
                latest, rows = None, EMPTY_ROWS
            kept = _write(con, rows, folder, latest or EMPTY_STAMP)
            for older in folder.glob("*.parquet"):
                if older != kept:
                    older.unlink()
            written.append(kept)
    return written
