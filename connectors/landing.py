"""Landing: each response body is written to disk, as received, before anything is loaded.

Layout (docs/CONTRACTS.md section 4):
`<landing>/<run_id>/<system>/<stream>/<scope>/pages-000001.json` (`_` stands for the empty scope).
A segment file holds consecutive pages of one scope, one page per line (JSON bodies hold line
breaks only as whitespace; any are written as spaces). Appending pages to a few segments rather
than creating a file per page matters: creating a file costs far more kernel time than appending a
line (measured in bench/README.md, Connectors). CSV pages (ECB, Salesforce's Bulk API result sets) keep
one page per segment, since a CSV body is not one line; the format is the page's, so a stream may land
both (its segments share one numbering per scope, which keeps their landing order). A page fetched for one key whose body does not name it (ShipStation tracking: one
request per label) is landed with that key on the same line of `pages-NNNNNN.keys` beside its
segment, so a folder and a file per key are not created (that cost as much as the request: bench/README.md).
A CSV page's keys line holds what its records need beside its columns (a Salesforce Bulk result
set: its job, locator and the records' `attributes`; spec.CsvRecords).
A killed run can leave a half-written last line, but only in a stream folder without
`_fetch.json`, which is never replayed and which a rerun starts afresh. A segment damaged
later (a disk, a hand) is found page by page when replayed (`damaged_pages`): the replay skips
those pages into the quarantine and loads the rest.
"""

from __future__ import annotations

import csv
import io
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import orjson

EMPTY_SCOPE_DIR = "_"
SEGMENT_PREFIX = "pages-"
KEYS_SUFFIX = ".keys"  # beside a segment: the key of each of its pages, one per line
EXCERPT_BYTES = 2000  # of a damaged page, kept in the quarantine for a person to look at


def stream_dir(landing_root: Path, run_id: str, system: str, stream: str) -> Path:
    """The folder holding one stream's pages for one run."""
    return landing_root / run_id / system / stream


def scope_dir_name(scope: str) -> str:
    """The folder name of a scope (account id), `_` when the stream has none."""
    if "/" in scope or scope in (".", ".."):
        raise ValueError(f"scope {scope!r} cannot be a folder name")
    return scope or EMPTY_SCOPE_DIR


class Lander:
    """Appends one stream's pages for one run to segment files, one open segment per scope.

    `seal()` closes the open segments and returns them: a sealed segment is complete and is
    never written again (the scope's next page opens the next segment).
    """

    def __init__(self, root: Path, extension: str = "json") -> None:
        self.root = root
        self.extension = extension
        self.pages = 0
        self._segments: dict[str, int] = {}  # segments opened so far, per scope folder
        self._open: dict[str, tuple[Path, BinaryIO]] = {}
        self._keys: dict[str, BinaryIO] = {}  # the open segments' keys files, per scope folder
        self._sealed: list[Path] = []  # closed since the last seal(), in closing order
        self._lock = threading.Lock()  # fetches may land from several threads
        # A rerun with the same run id starts the stream's landing afresh: what an interrupted
        # attempt landed was never loaded, or was loaded and is now behind the saved cursor.
        if root.exists():
            shutil.rmtree(root)

    def write(self, scope: str, body: bytes, key: str | None = None, extension: str | None = None) -> None:
        """Land one page's bytes under `scope`, in the stream's format unless `extension` names the page's;
        `key` (one line of text) goes on the same line of the keys file."""
        name = scope_dir_name(scope)
        extension = extension or self.extension
        if extension == "json" and b"\n" in body:
            body = body.replace(b"\r\n", b"  ").replace(b"\n", b" ")
        if key is not None and ("\n" in key or "\r" in key):
            raise ValueError(f"key {key!r} is not one line")
        with self._lock:
            if name in self._open and self._open[name][0].suffix != f".{extension}":
                self._close(name)  # a page of another format starts the next segment
            path, fh = self._open.get(name) or self._start(name, extension)
            fh.write(body if extension != "json" else body + b"\n")
            if key is not None:
                keys = self._keys.get(name) or self._keys.setdefault(name, open(keys_path(path), "xb"))  # noqa: SIM115
                keys.write(key.encode() + b"\n")
            self.pages += 1
            if extension != "json":  # one CSV page per segment
                self._close(name)

    def seal(self) -> list[Path]:
        """Close every open segment; returns every segment closed since the last seal, in order."""
        with self._lock:
            for name in list(self._open):
                self._close(name)
            sealed, self._sealed = self._sealed, []
        return sealed

    def _start(self, name: str, extension: str) -> tuple[Path, BinaryIO]:
        folder = self.root / name
        number = self._segments.get(name, 0) + 1
        self._segments[name] = number
        if number == 1:
            folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{SEGMENT_PREFIX}{number:06d}.{extension}"
        entry = (path, open(path, "xb"))  # noqa: SIM115 - closed by _close
        self._open[name] = entry
        return entry

    def _close(self, name: str) -> None:
        path, fh = self._open.pop(name)
        fh.close()
        if keys := self._keys.pop(name, None):
            keys.close()
        self._sealed.append(path)


def keys_path(segment: Path) -> Path:
    """The keys file beside a segment (it exists only for streams that land a key per page)."""
    return segment.with_suffix(KEYS_SUFFIX)


def landed_segments(root: Path, extension: str | None = "json") -> list[Path]:
    """Every segment of a stream's landing folder in one format (None: every format), in scope then segment order."""
    if not root.exists():
        return []
    pattern = f"*/{SEGMENT_PREFIX}*.{extension or '*'}"
    return sorted(path for path in root.glob(pattern) if path.suffix != KEYS_SUFFIX)


def landed_page_bodies(root: Path) -> Iterator[bytes]:
    """Every landed JSON page body of a stream's landing folder, in landing order (for readers and tests)."""
    for segment in landed_segments(root):
        with open(segment, "rb") as fh:
            for line in fh:
                if line.strip():
                    yield line.rstrip(b"\n")


@dataclass(frozen=True)
class DamagedPage:
    """A landed page that cannot be read (truncated, garbage bytes, not JSON): where it is and why."""

    segment: Path
    page: int  # its line in the segment, from 1 (a CSV segment is one page)
    reason: str
    text: str  # its first bytes as landed, for a person to look at

    def describe(self) -> str:
        """`<segment> page N: <reason>`, the way errors and logs name it."""
        return f"{self.segment} page {self.page}: {self.reason}"


def damaged_pages(segment: Path) -> list[DamagedPage]:
    """The pages of a landed segment that do not parse; a replay skips them (and says so)."""
    data = segment.read_bytes()
    if segment.suffix == ".csv":
        reason = _csv_damage(data)
        return [DamagedPage(segment, 1, reason, _excerpt(data))] if reason else []
    damaged = []
    lines = data.split(b"\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            last = number == len(lines)  # a complete page ends with its line break
            reason = f"{'truncated: ' if last else ''}not JSON ({exc})"
            damaged.append(DamagedPage(segment, number, reason, _excerpt(line)))
    return damaged


def csv_rows(data: bytes) -> list[list[str]]:
    """The rows of a CSV page, header first (UnicodeDecodeError or csv.Error when it is no CSV)."""
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def csv_records(data: bytes) -> int:
    """The records of a CSV page: its rows after the header (0 when it does not parse: the load quarantines it)."""
    try:
        return max(len(csv_rows(data)) - 1, 0)
    except (UnicodeDecodeError, csv.Error):
        return 0


def _csv_damage(data: bytes) -> str | None:
    try:
        rows = csv_rows(data)
    except (UnicodeDecodeError, csv.Error) as exc:
        return f"not CSV ({exc})"
    if not rows or any(len(row) != len(rows[0]) for row in rows if row):
        return "not CSV (no header, or rows of another width than the header: truncated?)"
    return None


def _excerpt(raw: bytes) -> str:
    return raw[:EXCERPT_BYTES].decode("utf-8", errors="replace")


def copy_without_pages(segment: Path, pages: set[int], folder: Path) -> Path:
    """A copy of a JSON segment (and its keys file) without the given lines, in `folder/<scope>/`.

    The scope folder name is kept: a record's scope may come from it (spec.DIR).
    """
    target = folder / segment.parent.name / segment.name
    target.parent.mkdir(parents=True, exist_ok=True)
    sources = [(segment, target)]
    if keys_path(segment).exists():
        sources.append((keys_path(segment), keys_path(target)))
    for source, copy in sources:
        kept = [line for n, line in enumerate(source.read_bytes().split(b"\n"), start=1) if n not in pages and line]
        copy.write_bytes(b"".join(line + b"\n" for line in kept))
    return target
