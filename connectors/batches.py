"""Staging: landed pages parsed into Parquet batches by DuckDB, in the background while later pages download.

The fetch lands each page (landing.py, appended to its scope's open segment) and every
`BATCH_BYTES` seals the segments and hands them over; a background thread
has a private in-memory DuckDB parse each batch into
`<stream dir>/_stage/batch-NNNNNN.parquet` (`_pk`, `_scope`, `_cursor`, `_record`, `_reason`,
`_file`, `_page`, `_idx`; see batch_sql). When the fetch ends only the last batch is left to
stage, so the load that follows (under the warehouse lock) merges ready rows instead of parsing
JSON. Handing over whole batches, not pages, keeps the two threads from trading the GIL on every
page (DuckDB releases it while it works); the queue is bounded, so a stager that falls behind
holds the fetch back instead of letting batches pile up.
"""

from __future__ import annotations

import logging
import os
import queue
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path

import duckdb

from connectors.errors import LoadError
from connectors.landing import EMPTY_SCOPE_DIR, KEYS_SUFFIX, SEGMENT_PREFIX, Lander, keys_path
from connectors.spec import DIR, KEY, RecordShape, StreamSpec

log = logging.getLogger(__name__)

BATCH_DIR = "_stage"
# DuckDB's JSON functions work on a whole vector of pages at once, so the stager's memory grows with
# a batch's bytes; 1 MB batches keep it small at the same CPU (bench/README.md, Connectors).
BATCH_BYTES = 1 << 20
# Batches waiting for the stager (file names only; the pages are on disk already).
QUEUE_BATCHES = 4
# The stager works beside the fetch and the vendor: one DuckDB thread, a small memory cap.
STAGE_MEMORY_LIMIT = "128MB"
# The stager thread's niceness (see _lower_priority); 0 is the default priority, 19 the lowest.
STAGER_NICENESS = 10


MISSING_ID = "missing id"  # the quarantine reason of a record without (part of) its primary key
# DuckDB holds two such buffers per thread: keep it small. The largest pages are Google Ads'
# searchStream answers, which systems/google_ads.py keeps near 4 MB by sizing its date ranges.
MAX_PAGE_BYTES = 16 << 20


def _json_path(path: str) -> str:
    return "$." + ".".join(f'"{part}"' for part in path.split("."))


def _record_paths(shape: RecordShape) -> list[str]:
    """Every record path the stage reads, each once (they are extracted in one JSON parse)."""
    paths = [*shape.pk_parts, shape.cursor_path, shape.scope_path, *(c.path for c in shape.checks)]
    return list(dict.fromkeys(p for p in paths if p and p not in (DIR, KEY)))


def _value(path: str, paths: list[str]) -> str:
    """SQL for a record path as text, from the extracted list `_v`; empty strings count as absent."""
    if path == DIR:
        return "_dir"
    if path == KEY:
        return "_key"
    return f"nullif(_v[{paths.index(path) + 1}], '')"


def sql_text(value: str) -> str:
    """`value` as a SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def files_sql(files: Sequence[str]) -> str:
    """A SQL list literal of file paths, for DuckDB's readers."""
    return "[" + ", ".join(sql_text(f) for f in files) + "]"


_DIR_SQL = f"regexp_extract(filename, '([^/]+)/{SEGMENT_PREFIX}[0-9]+\\.[a-z]+$', 1)"


def records_sql(shape: RecordShape, files: Sequence[str]) -> str:
    """SQL yielding (_file, _dir, _page, _idx, r) for every record of the landed segment `files`.

    `_page` numbers the pages in the order they are read (one thread, insertion order kept: the
    order they were landed), `_idx` the records within a page; with `_file` they order copies.
    """
    csv_files = [f for f in files if f.endswith(".csv")]
    json_files = [f for f in files if not f.endswith(".csv")]
    parts = ([_csv_records_sql(shape, csv_files)] if csv_files else []) + \
        ([_json_records_sql(shape, json_files)] if json_files else [])
    return " union all ".join(parts)


def _keys_files_sql(files: Sequence[str]) -> str:
    """The keys files beside the segments `files`, one line a page, as `column0` (text) and `filename`."""
    return (
        f"read_csv({files_sql([str(keys_path(Path(f))) for f in files])}, header = false, auto_detect = false, "
        f"columns = {{'column0': 'varchar'}}, delim = '\t', quote = '', escape = '', filename = true)"
    )


def _csv_records_sql(shape: RecordShape, files: Sequence[str]) -> str:
    """Records of CSV segments (one page each): text as landed, or typed as `shape.csv` says."""
    rows = (
        f"(select filename, row_number() over (partition by filename) as _idx, * exclude (filename) from read_csv("
        f"{files_sql(files)}, all_varchar = true, header = true, filename = true, union_by_name = true))"
    )
    members = "*columns(* exclude (filename, _idx))"
    if shape.csv is not None:
        rows = f"(select filename, _idx, nullif(columns(* exclude (filename, _idx)), '') from {rows})"
        if shape.csv.types:
            # a value that does not parse stays the text the vendor sent, for staging to quarantine
            typed = ", ".join(f'coalesce(to_json(try_cast("{c}" as {kind})), to_json("{c}")) as "{c}"'
                              for c, kind in shape.csv.types)
            rows = f"(select * replace ({typed}) from {rows})"
        if shape.csv.members:
            keys = f"(select filename as _keys, column0::json as page_key from {_keys_files_sql(files)})"
            rows = f"(select * from {rows} c join {keys} k on k._keys = regexp_replace(c.filename, '\\.csv$', " \
                   f"'{KEYS_SUFFIX}'))"
            members = f"{shape.csv.members}, *columns(* exclude (filename, _idx, _keys, page_key))"
    return (
        f"select filename as _file, {_DIR_SQL} as _dir, 1 as _page, _idx, to_json(struct_pack({members})) as r "
        f"from {rows}"
    )


def _json_records_sql(shape: RecordShape, files: Sequence[str]) -> str:
    """Records of JSON segments (one page a line)."""
    pages = (
        f"(select filename, row_number() over () as _page, json from read_json_objects({files_sql(files)}, "
        f"format = 'newline_delimited', filename = true, maximum_object_size = {MAX_PAGE_BYTES}))"
    )
    if shape.records_path == "$":
        if KEY not in shape.pk_parts:
            return f"select filename as _file, {_DIR_SQL} as _dir, _page, 1 as _idx, json as r from {pages}"
        # The key of each page is the same line of the keys file beside its segment; both are read
        # in the same order on one thread, so line numbers pair them.
        keys = f"(select row_number() over () as _page, column0 as _key from {_keys_files_sql(files)})"
        return (
            f"select p.filename as _file, {_DIR_SQL} as _dir, p._page, 1 as _idx, p.json as r, k._key "
            f"from {pages} p join {keys} k on k._page = p._page"
        )
    return (
        f"select _file, _dir, _page, generate_subscripts(a, 1) as _idx, unnest(a) as r from ("
        f"select filename as _file, {_DIR_SQL} as _dir, _page, json_extract(json, {sql_text(shape.records_path)}) as a "
        f"from {pages})"
    )


def batch_sql(shape: RecordShape, files: Sequence[str]) -> str:
    """SQL yielding the staged rows: `_pk`, `_scope`, `_cursor`, `_record`, `_reason`, order (`_file`, `_page`, `_idx`)."""
    paths = _record_paths(shape)

    def value(path: str) -> str:
        return _value(path, paths)

    pk = " || ':' || ".join(value(p) for p in shape.pk_parts)
    reasons = [f"when {value(p)} is null then {sql_text(f'{MISSING_ID}: no value at {p}')}" for p in shape.pk_parts]
    for check in shape.checks:
        target = "decimal(38, 9)" if check.kind == "amount" else "timestamptz"
        reasons.append(
            f"when {value(check.path)} is not null and try_cast({value(check.path)} as {target}) is null then "
            f"{sql_text(f'unparseable {check.kind} at {check.path}: ')} || {value(check.path)}"
        )
    if shape.scope_path is None:
        scope = "''"
    elif shape.scope_path == DIR:
        scope = f"case when _dir = '{EMPTY_SCOPE_DIR}' then '' else _dir end"
    else:
        scope = f"coalesce({value(shape.scope_path)}, '')"
    cursor = f"coalesce({value(shape.cursor_path)}, '')" if shape.cursor_path else "''"
    json_paths = ", ".join(sql_text(_json_path(p)) for p in paths)
    return (
        f"select {pk} as _pk, {scope} as _scope, {cursor} as _cursor, r::json as _record, "
        f"case {' '.join(reasons)} else null end as _reason, _file, _page, _idx "
        f"from (select *, json_extract_string(r, [{json_paths}]) as _v from ({records_sql(shape, files)}))"
    )


def batch_dir(stream_root: Path) -> Path:
    """Where a stream's staged batches live while its load is pending."""
    return stream_root / BATCH_DIR


def new_parse_connection() -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB for parsing pages (never the warehouse: no lock needed)."""
    con = duckdb.connect(":memory:")
    con.execute(f"set threads = 1; set memory_limit = '{STAGE_MEMORY_LIMIT}'; set preserve_insertion_order = true")
    return con


def parse_batch(con: duckdb.DuckDBPyConnection, spec: StreamSpec, pages: Sequence[Path], out: Path) -> None:
    """Parse the landed segments `pages` with DuckDB's readers into one Parquet file of staged rows."""
    tmp = out.with_name(out.name + ".tmp")
    try:
        # Uncompressed: the file lives for one load and compressing it costs CPU the fetch needs.
        con.execute(
            f"copy ({batch_sql(spec.shape, [str(p) for p in pages])}) to '{_sql_path(tmp)}' "
            f"(format parquet, compression uncompressed)"
        )
    except duckdb.Error as exc:
        raise LoadError(
            f"{spec.name}: cannot parse the landed pages {pages[0]} .. {pages[-1]}: {exc}; a page that "
            f"is not what the vendor documents needs a fix in connectors/systems before a rerun"
        ) from exc
    tmp.rename(out)  # a killed stager never leaves half a batch under the final name


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def parse_pages(spec: StreamSpec, pages: Sequence[Path], stream_root: Path) -> list[Path]:
    """Stage already landed segments (a replay) in batches; returns the Parquet files."""
    folder = _fresh_batch_dir(stream_root)
    batches: list[Path] = []
    con = new_parse_connection()
    try:
        batch: list[Path] = []
        size = 0
        for page in pages:
            batch.append(page)
            size += page.stat().st_size
            if size >= BATCH_BYTES:  # a segment holds up to BATCH_BYTES
                batches.append(_next_batch(con, spec, batch, folder, len(batches)))
                batch, size = [], 0
        if batch:
            batches.append(_next_batch(con, spec, batch, folder, len(batches)))
    finally:
        con.close()
    return batches


class PagePipeline:
    """Lands one stream's pages as they arrive and stages them in a background thread, a batch at a time."""

    def __init__(self, spec: StreamSpec, lander: Lander) -> None:
        self.spec = spec
        self.lander = lander
        self.batches: list[Path] = []
        self._folder = _fresh_batch_dir(lander.root)
        self._pending_bytes = 0
        self._lock = threading.Lock()  # some streams land from several threads
        self._queue: queue.Queue[list[Path] | None] = queue.Queue(maxsize=QUEUE_BATCHES)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"stage-{spec.name}", daemon=True)
        self._thread.start()

    def land(self, scope: str, body: bytes, key: str | None = None, extension: str | None = None) -> None:
        """Land one page under `scope` (its `key` and format, see landing.py); every `BATCH_BYTES` the sealed segments go to the stager."""
        with self._lock:  # a page and its size go together: a batch holds exactly the pages counted
            self.lander.write(scope, body, key, extension)
            self._pending_bytes += len(body)
            if self._pending_bytes < BATCH_BYTES:
                return
            self._pending_bytes = 0
            batch = self.lander.seal()  # under the lock: another thread's page goes to the next segment
        self._hand_over(batch)

    def finish(self) -> list[Path]:
        """Stage what is left and wait for the stager; returns the Parquet batches in order."""
        if last := self.lander.seal():
            self._hand_over(last)
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self.batches

    def abandon(self) -> None:
        """Stop the stager after a failed fetch (nothing of this fetch will be loaded)."""
        self.lander.seal()  # close the open segments
        while True:  # make room for the stop signal even if the queue is full
            try:
                self._queue.put_nowait(None)
                break
            except queue.Full:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    pass
        self._thread.join()
        remove_batches(self.lander.root)

    def _hand_over(self, batch: list[Path]) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(batch)

    def _run(self) -> None:
        _lower_priority()
        con = new_parse_connection()
        try:
            while (batch := self._queue.get()) is not None:
                self.batches.append(_next_batch(con, self.spec, batch, self._folder, len(self.batches)))
        except BaseException as exc:  # handed to the fetch thread, which raises it
            self._error = exc
            while self._queue.get() is not None:  # keep the fetch from blocking on a full queue
                pass
        finally:
            con.close()


def _lower_priority() -> None:
    """Make the calling thread yield the CPU to the fetch (and to the vendor, on a shared machine).

    The stager only has to keep up with the fetch, not race it: on two cores shared with the
    sandbox server it otherwise takes CPU from the request-to-request path. Linux schedules
    threads separately, so this lowers the stager thread only; a stager that falls behind still
    holds the fetch back through the bounded queue.
    """
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), STAGER_NICENESS)
    except (AttributeError, OSError):  # not Linux, or not allowed: stage at normal priority
        pass


def _next_batch(con: duckdb.DuckDBPyConnection, spec: StreamSpec, pages: list[Path], folder: Path, done: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)  # not before the first page: a failed first fetch writes nothing
    out = folder / f"batch-{done + 1:06d}.parquet"
    parse_batch(con, spec, pages, out)
    return out


def _fresh_batch_dir(stream_root: Path) -> Path:
    folder = batch_dir(stream_root)
    if folder.exists():
        shutil.rmtree(folder)
    return folder


def remove_batches(stream_root: Path) -> None:
    """Drop a stream's staged batches once its load committed or failed."""
    shutil.rmtree(batch_dir(stream_root), ignore_errors=True)
