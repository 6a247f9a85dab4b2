"""A journal of per-record answers, so a run stopped mid-budget resumes without asking for them again.

A stream that asks once per record (ShipStation's `/track`, Shippo's `/tracks`) lands each answer in its run's folder,
but loads only when the fetch ends: a run killed before then would lose every answer it paid
for, and its half-landed folder is removed by the next run (pipelines/recovery.py). So each
answer is also appended, with the day it was asked and its key, to
`<landing>/_journal/<stream>/<run_id>.jsonl`. The next run reads the other runs' journals, lands the
answers it still wants from there instead of the API, and removes those journals once it has
landed them (its own journal then holds them). Lines from the same night also count against
that night's request budget, so a rerun does not get a second budget.

Answers the vendor pushed (ShipStation's tracking webhooks, connectors/webhooks) are journaled the
same way by the receiver, one file per event written whole (`pushed-*.jsonl`), marked PUSHED instead
of a day: the next run lands them like a killed run's answers and asks `/track` only for the rest,
and they cost no night's budget.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import orjson

from connectors.http import Response

if TYPE_CHECKING:
    from connectors.spec import FetchContext

JOURNAL_DIR = "_journal"  # under the landing folder, beside the run folders
PUSHED = "pushed"  # in place of the day asked: an answer no request paid for
PUSHED_KEEP_DAYS = 14  # a pushed answer no run wanted by then (a label in transit, tracked already) goes


@dataclass
class Journal:
    """One run's journal for one stream, and what earlier runs' journals hold."""

    folder: Path
    run_id: str
    day: date
    kept: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # key -> (day asked, body) from other runs
    spent_today: int = 0  # answers other runs paid for on `day`
    _earlier: list[Path] = field(default_factory=list)
    _pushed: dict[Path, set[str]] = field(default_factory=dict)  # pushed file -> the keys it holds
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, landing_dir: Path, stream: str, run_id: str, day: date) -> Journal:
        """The journal of `run_id`, with every complete answer other runs' journals hold."""
        journal = cls(landing_dir / JOURNAL_DIR / stream, run_id, day)
        # pushed files sort by the time they arrived, after the runs' journals: the newest answer wins
        for path in sorted(journal.folder.glob("*.jsonl"), key=lambda p: (p.name.startswith(PUSHED), p.name)) \
                if journal.folder.exists() else ():
            if path.stem == run_id:
                continue
            entries = _entries(path)
            if path.name.startswith(PUSHED):
                journal._pushed[path] = {key for _, key, _ in entries}
            else:
                journal._earlier.append(path)
            for asked, key, body in entries:
                journal.kept[key] = (asked, body)
        journal.spent_today = sum(1 for asked, _ in journal.kept.values() if asked == day.isoformat())
        return journal

    def take(self, key: str) -> bytes | None:
        """The body an earlier run landed for `key` (recorded again in this run's journal), or None."""
        entry = self.kept.pop(key, None)
        if entry is None:
            return None
        self._append(entry[0], key, entry[1])
        return entry[1]

    def record(self, key: str, body: bytes) -> None:
        """Append an answer this run paid for."""
        self._append(self.day.isoformat(), key, body)

    def close(self) -> None:
        """Remove the earlier runs' journals: what was still wanted from them is in this run's now.
        A pushed answer not wanted yet (its label not known delivered in raw yet) stays for a later
        run, up to PUSHED_KEEP_DAYS."""
        for path in self._earlier:
            path.unlink(missing_ok=True)
        stale = time.time() - PUSHED_KEEP_DAYS * 86400
        for path, keys in self._pushed.items():
            try:
                if not keys & self.kept.keys() or path.stat().st_mtime < stale:
                    path.unlink()
            except FileNotFoundError:  # another run removed it
                pass

    def _append(self, asked: str, key: str, body: bytes) -> None:
        # One JSON line per answer: a killed run leaves at most a last line without its newline.
        line = orjson.dumps([asked, key, body.decode("utf-8", "replace")]) + b"\n"
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(self.folder / f"{self.run_id}.jsonl", "ab") as file:
                file.write(line)


def to_ask(ctx: FetchContext, keys: Iterator[str], journal: Journal, budget: int | None) -> Iterator[str]:
    """The records to ask the vendor about, in order: an answer an earlier run journaled is landed from
    the journal instead; past `budget` requests the rest are only counted (`ctx.deferred`)."""
    asked = 0
    for key in keys:
        body = journal.take(key)
        if body is not None:
            ctx.land("", Response(200, httpx.Headers(), body, ""), 1, key=key)
        elif budget is None or asked < budget:
            asked += 1
            yield key
        else:
            ctx.deferred += 1


def push(landing_dir: Path, stream: str, key: str, body: bytes) -> Path:
    """Journal one answer the vendor pushed, in a file of its own that appears whole (written aside,
    then renamed): a run reading the journals meanwhile sees all of it or none, and removes only
    the files it read."""
    folder = landing_dir / JOURNAL_DIR / stream
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{PUSHED}-{time.time_ns():020d}-{uuid.uuid4().hex[:12]}.jsonl"
    aside = folder / f".{name}.tmp"
    aside.write_bytes(orjson.dumps([PUSHED, key, body.decode("utf-8", "replace")]) + b"\n")
    os.replace(aside, folder / name)
    return folder / name


def _entries(path: Path) -> list[tuple[str, str, bytes]]:
    """The complete, readable lines of a journal (a torn last line or a damaged one is skipped)."""
    entries = []
    for line in path.read_bytes().splitlines(keepends=True):
        if not line.endswith(b"\n"):
            continue
        try:
            asked, key, body = orjson.loads(line)
            orjson.loads(body)  # only an answer that still parses is worth landing
        except (orjson.JSONDecodeError, ValueError, TypeError):
            continue
        entries.append((asked, key, body.encode()))
    return entries
