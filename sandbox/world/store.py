"""The world store (CONTRACTS §2): one SQLite file per (seed, scale), written once, then read only."""

import logging
import multiprocessing
import os
import sqlite3
import time
from pathlib import Path

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


def is_complete(path: Path) -> bool:
    """True when `path` is a store the generator finished (it writes `complete` last)."""
    if not path.exists():
        return False
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            row = db.execute("select value from meta where key = 'complete'").fetchone()
        return row is not None and row[0] == "true"
    except sqlite3.DatabaseError:
        return False


def ensure_world(seed: int, scale: str, data_dir: Path | str | None = None) -> Path:
    """The store of (seed, scale), generating it when missing or incomplete."""
    path = world_path(seed, scale, data_dir)
    if not is_complete(path):
        generate(seed, scale, path)
    return path


def _rows(item_versions: list[Version]) -> list[tuple]:
    # visible_to of a version is the visible_from of the next version of the same record.
    by_key: dict[tuple[str, str, str], list[Version]] = {}
    for v in item_versions:
        by_key.setdefault((v[0], v[1], v[2]), []).append(v)
    rows = []
    for versions in by_key.values():
        for k, (resource, scope, id_, t, modified, event_date, payload) in enumerate(versions):
            to = iso_ms(versions[k + 1][3]) if k + 1 < len(versions) else None
            rows.append((resource, scope, id_, iso_ms(t), to, iso_ms(modified), event_date,
                         orjson.dumps(payload).decode()))
    return rows


def _write(db: sqlite3.Connection, seed: int, scale: Scale, part: str) -> int:
    batch: list[tuple] = []
    total = 0
    for item in iter_part(seed, scale, part):
        batch.extend(_rows(list(versions_of(item))))
        if len(batch) >= BATCH:
            db.executemany("insert into records values (?, ?, ?, ?, ?, ?, ?, ?)", batch)
            total += len(batch)
            batch.clear()
    db.executemany("insert into records values (?, ?, ?, ?, ?, ?, ?, ?)", batch)
    db.commit()
    return total + len(batch)


def _open(path: Path) -> sqlite3.Connection:
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.executescript("pragma journal_mode = off; pragma synchronous = off; pragma page_size = 8192;")
    db.executescript(SCHEMA)
    return db


def _write_part_file(seed: int, scale_name: str, part: str, path: str) -> None:
    """Worker process: write one part of the world to its own SQLite file."""
    db = _open(Path(path))
    try:
        _write(db, seed, get_scale(scale_name), part)
    finally:
        db.close()


def generate(seed: int, scale_name: str, path: Path) -> Path:
    """Write the store of (seed, scale) to `path` atomically (a temp file renamed into place).

    The orders half is generated in a second process while this one writes the market half; the
    rows are then appended in a fixed order, so the file is byte-identical run after run.
    """
    scale = get_scale(scale_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    part_file = path.with_name(f".{path.name}.{os.getpid()}.orders.tmp")
    started = time.monotonic()
    worker = multiprocessing.get_context("spawn").Process(
        target=_write_part_file, args=(seed, scale.name, "orders", str(part_file)), daemon=True)
    worker.start()
    db = _open(tmp)
    try:
        total = _write(db, seed, scale, "market")
        worker.join()
        if worker.exitcode != 0:
            raise RuntimeError(f"world generation of the orders part failed (exit code {worker.exitcode})")
        db.execute("attach database ? as orders", (str(part_file),))
        total += db.execute("insert into records select * from orders.records order by rowid").rowcount
        db.commit()
        db.execute("detach database orders")
        db.executescript(INDEXES)
        meta = {"seed": str(seed), "scale": scale.name, "world_start": WORLD_START.isoformat(),
                "world_end": WORLD_END.isoformat(), "records": str(total), "complete": "true"}
        db.executemany("insert into meta values (?, ?)", sorted(meta.items()))
        db.commit()
    finally:
        db.close()
        if worker.is_alive():
            worker.terminate()
        part_file.unlink(missing_ok=True)
    os.replace(tmp, path)
    log.info("generated %s: %d records in %.1fs", path, total, time.monotonic() - started)
    return path
