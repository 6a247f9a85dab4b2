"""Files swapped in whole: staging names beside the target, fsync, rename, stale-staging cleanup.

Every file the hub publishes (the marts database, Parquet, the report) is written under a
staging name in the target's own directory, so `os.replace` is a same-filesystem rename: a
reader opens the old file or the new one, never a half-written one. The staging name carries
the writer's pid, so a publish killed mid-write leaves a file the next one can recognise and
remove without touching a live writer's.
"""

import logging
import os
import re
from pathlib import Path

from pipelines.processes import process_alive

log = logging.getLogger(__name__)


def staging_path(target: Path) -> Path:
    """Where this process writes `target` before swapping it in: `.<name>.<pid>.tmp` beside it."""
    return target.with_name(f".{target.name}.{os.getpid()}.tmp")


def fsync_file(path: Path) -> None:
    """Flush a written file's bytes to disk, so the rename never exposes an empty file after a crash."""
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def fsync_directory(directory: Path) -> None:
    """Flush a directory entry change (the rename) to disk."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def swap_in(staging: Path, target: Path, read_only: bool = True) -> None:
    """Make `staging` the new `target` in one rename, durably; read-only on disk when asked."""
    if read_only:
        # Readers of a 0444 file cannot take a write lock on it by mistake (unless root).
        staging.chmod(0o444)
    fsync_file(staging)
    os.replace(staging, target)
    fsync_directory(target.parent)


def write_atomically(target: Path, content: bytes | str, read_only: bool = False) -> None:
    """Write `content` to `target` through a staging file and one rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(target)
    staging = staging_path(target)
    try:
        if isinstance(content, str):
            staging.write_text(content, encoding="utf-8")
        else:
            staging.write_bytes(content)
        swap_in(staging, target, read_only=read_only)
    finally:
        staging.unlink(missing_ok=True)


def remove_stale_staging(target: Path) -> list[Path]:
    """Delete staging files of `target` (and their DuckDB WALs) left by writers no longer alive."""
    return _remove_stale(target.parent, re.escape(target.name))


def remove_stale_staging_in(directory: Path) -> list[Path]:
    """Delete every staging file in `directory` (any target) whose writer is no longer alive."""
    return _remove_stale(directory, r".+")


def _remove_stale(directory: Path, name_pattern: str) -> list[Path]:
    pattern = re.compile(rf"^\.{name_pattern}\.(\d+)\.tmp(\.wal)?$")
    removed = []
    if not directory.is_dir():
        return removed
    for candidate in sorted(directory.iterdir()):
        match = pattern.match(candidate.name)
        # Our own pid counts as dead: we are about to rewrite the file.
        if match and (int(match.group(1)) == os.getpid() or not process_alive(int(match.group(1)))):
            candidate.unlink(missing_ok=True)
            removed.append(candidate)
            log.warning("removed %s, left by a publish that did not finish", candidate)
    return removed
