"""Landing: each response body is written to a file, as received, before anything is loaded.

Layout (docs/CONTRACTS.md section 4):
`<landing>/<run_id>/<system>/<stream>/<scope>/page-000001.json` (`_` stands for the empty scope).
A page is written to a temporary name and renamed, so a killed run never leaves half a page.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

EMPTY_SCOPE_DIR = "_"


def stream_dir(landing_root: Path, run_id: str, system: str, stream: str) -> Path:
    """The folder holding one stream's pages for one run."""
    return landing_root / run_id / system / stream


def scope_dir_name(scope: str) -> str:
    """The folder name of a scope (account id), `_` when the stream has none."""
    if "/" in scope or scope in (".", ".."):
        raise ValueError(f"scope {scope!r} cannot be a folder name")
    return scope or EMPTY_SCOPE_DIR


class Lander:
    """Writes one stream's pages for one run, numbering them per scope."""

    def __init__(self, root: Path, extension: str = "json") -> None:
        self.root = root
        self.extension = extension
        self.pages = 0
        self._counters: dict[str, int] = {}
        self._lock = threading.Lock()  # fetches may land from several threads
        # A rerun with the same run id starts the stream's landing afresh: what an interrupted
        # attempt landed was never loaded, or was loaded and is now behind the saved cursor.
        if root.exists():
            shutil.rmtree(root)

    def write(self, scope: str, body: bytes) -> Path:
        """Land one page's bytes under `scope`; returns its path."""
        folder = self.root / scope_dir_name(scope)
        with self._lock:
            number = self._counters.get(folder.name, 0) + 1
            self._counters[folder.name] = number
            self.pages += 1
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"page-{number:06d}.{self.extension}"
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as fh:
            fh.write(body)
        os.replace(tmp, path)
        return path


def landed_pages(root: Path, extension: str = "json") -> list[Path]:
    """Every complete page of a stream's landing folder, in scope then page order."""
    if not root.exists():
        return []
    return sorted(root.glob(f"*/page-*.{extension}"))
