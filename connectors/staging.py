"""Staging: landed pages parsed into Parquet batches by DuckDB, in the background while later pages download.

The fetch lands each page (landing.py, appended to its scope's open segment) and every
`BATCH_BYTES` seals the segments and hands them over; a background thread
has a private in-memory DuckDB parse each batch into
`<stream dir>/_stage/batch-NNNNNN.parquet` (`_pk`, `_scope`, `_cursor`, `_record`, `_reason`,
`_file`, `_page`, `_idx`; see loading.stage_sql). When the fetch ends only the last batch is left to
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
from connectors.landing import Lander
from connectors.loading import stage_sql
from connectors.spec import StreamSpec

log = logging.getLogger(__name__)

STAGE_DIR = "_stage"
# DuckDB's JSON functions work on a whole vector of pages at once, so the stager holds about 13
# times a batch's bytes while it parses one (4 MB of shipments: +54 MB, 1 MB: +17 MB). 1 MB keeps
# that small at the same CPU (large associations' peak 195 -> 156 MB, shipments 199 -> 174).
BATCH_BYTES = 1 << 20
# Batches waiting for the stager (file names only; the pages are on disk already).
QUEUE_BATCHES = 4
# The stager works beside the fetch and the vendor: one DuckDB thread, a small memory cap.
STAGE_MEMORY_LIMIT = "128MB"
# The stager thread's niceness (see _lower_priority); 0 is the default priority, 19 the lowest.
STAGER_NICENESS = 10


def stage_dir(stream_root: Path) -> Path:
    """Where a stream's staged batches live while its load is pending."""
    return stream_root / STAGE_DIR


def new_stage_connection() -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB for parsing pages (never the warehouse: no lock needed)."""
    con = duckdb.connect(":memory:")
    con.execute(f"set threads = 1; set memory_limit = '{STAGE_MEMORY_LIMIT}'; set preserve_insertion_order = true")
    return con


def stage_batch(con: duckdb.DuckDBPyConnection, spec: StreamSpec, pages: Sequence[Path], out: Path) -> None:
    """Parse the landed segments `pages` with DuckDB's readers into one Parquet file of staged rows."""
    tmp = out.with_name(out.name + ".tmp")
    try:
        # Uncompressed: the file lives for one load and compressing it costs CPU the fetch needs.
        con.execute(
            f"copy ({stage_sql(spec.shape, [str(p) for p in pages])}) to '{_sql_path(tmp)}' "
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


def stage_pages(spec: StreamSpec, pages: Sequence[Path], stream_root: Path) -> list[Path]:
    """Stage already landed segments (a replay) in batches; returns the Parquet files."""
    folder = _fresh_stage_dir(stream_root)
    batches: list[Path] = []
    con = new_stage_connection()
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
        self._folder = _fresh_stage_dir(lander.root)
        self._pending_bytes = 0
        self._lock = threading.Lock()  # some streams land from several threads
        self._queue: queue.Queue[list[Path] | None] = queue.Queue(maxsize=QUEUE_BATCHES)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"stage-{spec.name}", daemon=True)
        self._thread.start()

    def land(self, scope: str, body: bytes, key: str | None = None) -> None:
        """Land one page under `scope` (and its `key`, see landing.py); every `BATCH_BYTES` the sealed segments go to the stager."""
        with self._lock:  # a page and its size go together: a batch holds exactly the pages counted
            self.lander.write(scope, body, key)
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
        remove_stage(self.lander.root)

    def _hand_over(self, batch: list[Path]) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(batch)

    def _run(self) -> None:
        _lower_priority()
        con = new_stage_connection()
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
    stage_batch(con, spec, pages, out)
    return out


def _fresh_stage_dir(stream_root: Path) -> Path:
    folder = stage_dir(stream_root)
    if folder.exists():
        shutil.rmtree(folder)
    return folder


def remove_stage(stream_root: Path) -> None:
    """Drop a stream's staged batches once its load committed or failed."""
    shutil.rmtree(stage_dir(stream_root), ignore_errors=True)
