"""Landing: each response body is written to disk, as received, before anything is loaded.

Layout (docs/CONTRACTS.md section 4):
`<landing>/<run_id>/<system>/<stream>/<scope>/pages-000001.json` (`_` stands for the empty scope).
A segment file holds consecutive pages of one scope, one page per line (JSON bodies hold line
breaks only as whitespace; any are written as spaces). Appending pages to a few segments rather
than creating a file per page matters: creating a file costs 0.1 to 1 ms of kernel time on this
shared disk, appending 0.02 ms. CSV pages (ECB) keep one page per segment, since a CSV body is
not one line. A page fetched for one key whose body does not name it (ShipStation tracking: one
request per label) is landed with that key on the same line of `pages-NNNNNN.keys` beside its
segment, so a folder and a file per key are not created (that cost as much as the request).
A killed run can leave a half-written last line, but only in a stream folder without
`_fetch.json`, which is never replayed and which a rerun starts afresh.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

EMPTY_SCOPE_DIR = "_"
SEGMENT_PREFIX = "pages-"
KEYS_SUFFIX = ".keys"  # beside a segment: the key of each of its pages, one per line


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

    def write(self, scope: str, body: bytes, key: str | None = None) -> None:
        """Land one page's bytes under `scope`; `key` (one line of text) goes on the same line of the keys file."""
        name = scope_dir_name(scope)
        if self.extension == "json" and b"\n" in body:
            body = body.replace(b"\r\n", b"  ").replace(b"\n", b" ")
        if key is not None and ("\n" in key or "\r" in key):
            raise ValueError(f"key {key!r} is not one line")
        with self._lock:
            path, fh = self._open.get(name) or self._start(name)
            fh.write(body if self.extension != "json" else body + b"\n")
            if key is not None:
                keys = self._keys.get(name) or self._keys.setdefault(name, open(keys_path(path), "xb"))  # noqa: SIM115
                keys.write(key.encode() + b"\n")
            self.pages += 1
            if self.extension != "json":  # one CSV page per segment
                self._close(name)

    def seal(self) -> list[Path]:
        """Close every open segment; returns every segment closed since the last seal, in order."""
        with self._lock:
            for name in list(self._open):
                self._close(name)
            sealed, self._sealed = self._sealed, []
        return sealed

    def _start(self, name: str) -> tuple[Path, BinaryIO]:
        folder = self.root / name
        number = self._segments.get(name, 0) + 1
        self._segments[name] = number
        if number == 1:
            folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{SEGMENT_PREFIX}{number:06d}.{self.extension}"
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


def landed_segments(root: Path, extension: str = "json") -> list[Path]:
    """Every segment of a stream's landing folder, in scope then segment order."""
    if not root.exists():
        return []
    return sorted(root.glob(f"*/{SEGMENT_PREFIX}*.{extension}"))


def landed_page_bodies(root: Path) -> Iterator[bytes]:
    """Every landed JSON page body of a stream's landing folder, in landing order (for readers and tests)."""
    for segment in landed_segments(root):
        with open(segment, "rb") as fh:
            for line in fh:
                if line.strip():
                    yield line.rstrip(b"\n")
