"""The world store (CONTRACTS §2): one SQLite file per (seed, scale), written once, then read only."""

import hashlib
import logging
import os
import pickle
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from queue import Queue

import orjson

from sandbox.world import WORLD_END, WORLD_START
from sandbox.world.generator import iter_part
from sandbox.world.payloads import Version, versions_of
from sandbox.world.scales import Scale, get_scale
from sandbox.world.timefmt import iso_ms

log = logging.getLogger(__name__)

SCHEMA = """
create table records (
  resource text not null, scope text not null, id text not null,
  visible_from text not null, visible_to text, modified_at text not null,
  event_date text, payload text not null
);
create table meta (key text primary key, value text);
"""
INDEXES = """
create index records_by_id on records (resource, scope, id);
create index records_by_modified on records (resource, scope, modified_at, id);
create index records_by_event_date on records (resource, scope, event_date, id);
"""
BATCH = 20_000


def default_data_dir() -> Path:
    """`$HUB_DATA_DIR/sandbox`, HUB_DATA_DIR defaulting to ./data."""
    return Path(os.environ.get("HUB_DATA_DIR", "data")) / "sandbox"


def world_path(seed: int, scale: str, data_dir: Path | str | None = None) -> Path:
    """Where the store of (seed, scale) lives."""
    return Path(data_dir or default_data_dir()) / f"world-{seed}-{scale}.sqlite"


@cache
def generator_fingerprint() -> str:
    """Hash of the code that decides the world: a store written by other code is stale."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for source in [*sorted(here.glob("*.py")), here.parent / "credentials.py"]:
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()[:16]


def is_complete(path: Path) -> bool:
    """True when `path` is a finished store (`complete` is written last) from the current generator code."""
    if not path.exists():
        return False
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            meta = dict(db.execute("select key, value from meta"))
    except sqlite3.DatabaseError:
        return False
    if meta.get("complete") == "true" and meta.get("generator") != generator_fingerprint():
        log.info("%s was written by other generator code: generating it again", path)
        return False
    return meta.get("complete") == "true"


def ensure_world(seed: int, scale: str, data_dir: Path | str | None = None) -> Path:
    """The store of (seed, scale), generating it when missing or incomplete."""
    path = world_path(seed, scale, data_dir)
    if not is_complete(path):
        generate(seed, scale, path)
    return path


def _rows(item_versions: list[Version]) -> list[tuple]:
    # visible_to of a version is the visible_from of the next version of the same record; a version
    # with a None payload only ends the one before it (a deleted record) and is not stored.
    by_key: dict[tuple[str, str, str], list[Version]] = {}
    for v in item_versions:
        by_key.setdefault((v[0], v[1], v[2]), []).append(v)
    rows = []
    for versions in by_key.values():
        for k, (resource, scope, id_, t, modified, event_date, payload) in enumerate(versions):
            if payload is None:
                continue
            to = iso_ms(versions[k + 1][3]) if k + 1 < len(versions) else None
            rows.append((resource, scope, id_, iso_ms(t), to, iso_ms(modified), event_date,
                         orjson.dumps(payload).decode()))
    return rows


def _batches(seed: int, scale: Scale, part: str) -> Iterator[list[tuple]]:
    """Rows of one world part, in lists of about BATCH rows (boundaries fall between world objects)."""
    batch: list[tuple] = []
    for item in iter_part(seed, scale, part):
        batch.extend(_rows(list(versions_of(item))))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    yield batch


_END = object()


def _spawn_orders(seed: int, scale: Scale) -> subprocess.Popen:
    # A plain subprocess, not multiprocessing: spawn would re-run the caller's __main__ module.
    return subprocess.Popen([sys.executable, "-m", "sandbox.world.store", str(seed), scale.name],
                            stdout=subprocess.PIPE)


def _received(worker: subprocess.Popen) -> Iterator[list[tuple]]:
    """The orders batches the worker streams (length-prefixed pickles); a reader thread keeps a few ahead."""
    ready: Queue = Queue(maxsize=4)  # bounded: memory stays at a few batches
    stream = worker.stdout
    assert stream is not None

    def read() -> None:
        try:
            while (header := stream.read(8)) and (size := int.from_bytes(header, "big")):
                ready.put(pickle.loads(stream.read(size)))
            ready.put(_END if header else None)
        except Exception as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            ready.put(exc)

    threading.Thread(target=read, name="world-orders-reader", daemon=True).start()
    while (batch := ready.get()) is not _END:
        if not isinstance(batch, list):
            raise RuntimeError(f"world generation worker failed (exit code {worker.wait()}): {batch}")
        yield batch


def _stream_orders(seed: int, scale_name: str) -> None:
    """Worker entry point: write the orders half's batches to stdout, then a zero length."""
    out = sys.stdout.buffer
    for batch in _batches(seed, get_scale(scale_name), "orders"):
        data = pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL)
        out.write(len(data).to_bytes(8, "big"))
        out.write(data)
    out.write((0).to_bytes(8, "big"))
    out.flush()


def generate(seed: int, scale_name: str, path: Path) -> Path:
    """Write the store of (seed, scale) to `path` atomically (a temp file renamed into place).

    A second process generates the orders half while this one generates the market half and
    writes both; batches are written alternately, one of each, so the file is byte-identical
    run after run whatever the timing.
    """
    scale = get_scale(scale_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    started = time.monotonic()
    worker = _spawn_orders(seed, scale)
    db = sqlite3.connect(tmp)
    total = 0
    try:
        # threads: CREATE INDEX sorts with a helper thread; the cache holds its sort runs.
        db.executescript("pragma journal_mode = off; pragma synchronous = off; pragma page_size = 8192; "
                         "pragma threads = 2; pragma cache_size = -32768;")
        db.executescript(SCHEMA)
        sources = [_batches(seed, scale, "market"), _received(worker)]
        while sources:
            for source in list(sources):
                batch = next(source, None)
                if batch is None:
                    sources.remove(source)
                    continue
                db.executemany("insert into records values (?, ?, ?, ?, ?, ?, ?, ?)", batch)
                total += len(batch)
        log.info("rows written after %.1fs", time.monotonic() - started)
        db.executescript(INDEXES)
        meta = {"seed": str(seed), "scale": scale.name, "world_start": WORLD_START.isoformat(),
                "world_end": WORLD_END.isoformat(), "records": str(total), "generator": generator_fingerprint(),
                "complete": "true"}
        db.executemany("insert into meta values (?, ?)", sorted(meta.items()))
        db.commit()
    finally:
        db.close()
        if worker.poll() is None:
            worker.kill()
        worker.wait()
    os.replace(tmp, path)
    log.info("generated %s: %d records in %.1fs", path, total, time.monotonic() - started)
    return path


if __name__ == "__main__":
    _stream_orders(int(sys.argv[1]), sys.argv[2])
