"""Short, exclusive access to the DuckDB warehouse file, safe across threads and processes.

DuckDB lets one process at a time open a file for writing. Streams fetch without touching the
warehouse and only take it for their short load transaction: an fcntl lock beside the file
queues our own loaders (threads or Dagster's subprocesses), and a brief retry covers other
writers such as dbt that do not know our lock.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

from connectors.errors import LoadError

log = logging.getLogger(__name__)

LOCK_RETRY_SECONDS = 120.0
QUERY_DIR_PREFIX = "hub-query-"  # query_rows' temporary folders: hub-query-<pid>-<random>
# DuckDB spills to disk past this; keeps a load's memory flat whatever the volume.
MEMORY_LIMIT = "256MB"
_THREAD_LOCK = threading.Lock()  # flock is per open file description, threads need their own

BOOKKEEPING_DDL = """
create schema if not exists raw;
create table if not exists raw._cursors (
  stream varchar primary key, cursor varchar, run_id varchar, updated_at timestamp
);
create table if not exists raw._quarantine (
  stream varchar, pk varchar, reason varchar, record json, run_id varchar, quarantined_at timestamp
);
create table if not exists raw._loads (
  run_id varchar, stream varchar, pages bigint, records bigint, inserted bigint, updated bigint,
  unchanged bigint, quarantined bigint, requests bigint, retries bigint,
  rate_limit_wait_seconds double, cursor_before varchar, cursor_after varchar, seconds double,
  loaded_at timestamp, primary key (run_id, stream)
);
"""


@contextlib.contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold the warehouse's lock for the `with` block, blocking until it is free.

    Every writer takes it: `connect` does, and writers that bypass it (dbt) take it directly.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock")
    with _THREAD_LOCK, open(lock_path, "a+b") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


@contextlib.contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """An exclusive connection to the warehouse, held only for the `with` block."""
    with exclusive(path):
        con = _open(path, read_only)
        try:
            yield con
        finally:
            con.close()


def _open(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    if read_only and not path.exists():
        read_only = False  # nothing to read yet: create it so callers see empty tables
    deadline = time.monotonic() + LOCK_RETRY_SECONDS
    delay = 0.05
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            # A setting, not a connect() config: a connection another part of this process holds
            # open on the same file (default config) must not make ours fail.
            con.execute(f"set memory_limit = '{MEMORY_LIMIT}'")
            if not read_only:
                con.execute(BOOKKEEPING_DDL)
            return con
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise LoadError(f"cannot open the warehouse {path}: {exc}") from exc
            log.info("warehouse %s is locked by another process, retrying in %.2fs", path, delay)
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


class QueryRows:
    """Rows a query wrote to a CSV file, read back lazily, once per iteration."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __iter__(self) -> Iterator[list[str]]:
        with open(self.path, newline="", encoding="utf-8") as file:
            yield from csv.reader(file)


@contextlib.contextmanager
def query_rows(path: Path, sql: str, params: list[Any] | None = None) -> Iterator[QueryRows]:
    """The rows of a query that may run to millions (e.g. which deals changed), as text.

    DuckDB writes them to a temporary file while the warehouse is held for this query only; they
    are read back one at a time, as often as needed, so the list never sits in memory. The file is
    gone after the `with` block.
    """
    # The pid in the name lets the next run remove the folder of a process killed meanwhile.
    with tempfile.TemporaryDirectory(prefix=f"{QUERY_DIR_PREFIX}{os.getpid()}-") as folder:
        rows = Path(folder) / "rows.csv"
        with connect(path) as con:
            con.sql(sql, params=params or []).write_csv(str(rows), header=False)
        yield QueryRows(rows)
