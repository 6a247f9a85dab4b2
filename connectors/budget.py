"""One rate budget per vendor account, shared by every stream, thread and process of a run.

A budget hands out request slots at the account's pace and holds every caller while the vendor
says to wait. The pace starts at the vendor's documented limit (limits.py) and is then read from
the vendor's own headers after every answer: with `remaining` requests left until a `reset`,
the next ones are spaced `reset / remaining` apart, and the account is held until the reset when
only a few remain, so 429s stay rare. A 429 or Meta's throttle pauses every caller for the wait
asked. Shared between processes through a small JSON file under `$HUB_DATA_DIR/budgets`, one per
system, base URL and account (the credentials' hash), read and written under an fcntl lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from connectors.limits import REMAINING_MARGIN, Quota

BUDGETS_DIR = "budgets"  # under HUB_DATA_DIR


class RateBudget:
    """Request slots and shared pauses for one vendor account, in this process or across processes."""

    def __init__(
        self,
        requests_per_second: float = 0.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        path: Path | None = None,
        documented_interval: float = 0.0,
    ) -> None:
        """`requests_per_second` is a ceiling of our own (0: none); `documented_interval` the vendor's
        pace until its headers say otherwise; `path` a state file shared with other processes."""
        self._floor = 1.0 / requests_per_second if requests_per_second > 0 else 0.0
        self._documented = documented_interval
        self._clock = clock
        self._sleep = sleep
        self._path = path
        self._lock = threading.Lock()
        self._state: dict[str, Any] = {}

    def acquire(self) -> float:
        """Wait for this account's next request slot; returns the seconds waited."""
        with self._locked() as state:
            now = self._clock()
            start = max(now, state.get("next_slot", 0.0), state.get("paused_until", 0.0))
            interval = state.get("interval", self._documented)
            state["next_slot"] = start + max(interval, self._floor)
        wait = start - now
        if wait > 0:
            self._sleep(wait)
        return max(wait, 0.0)

    def pause(self, seconds: float) -> None:
        """Hold every caller of this account for `seconds` from now (the vendor asked us to)."""
        with self._locked() as state:
            state["paused_until"] = max(state.get("paused_until", 0.0), self._clock() + seconds)

    def observe(self, quotas: Sequence[Quota]) -> None:
        """Pace from what the vendor's headers just said: space the requests left over the time to
        their reset, or hold the account until the reset when only a few are left."""
        if not quotas:
            return
        with self._locked() as state:
            now = self._clock()
            intervals = []
            for quota in quotas:
                usable = quota.remaining - REMAINING_MARGIN
                if usable > 0:
                    intervals.append(quota.reset_seconds / usable)
                else:
                    state["paused_until"] = max(state.get("paused_until", 0.0), now + quota.reset_seconds)
            if intervals:
                state["interval"] = max(intervals)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        """The budget's state for a read-modify-write, locked against threads (and processes when shared)."""
        with self._lock:
            if self._path is None:
                yield self._state
                return
            with open(self._path, "a+b") as file:
                fcntl.flock(file, fcntl.LOCK_EX)
                try:
                    file.seek(0)
                    raw = file.read()
                    try:
                        state = orjson.loads(raw) if raw else {}
                    except orjson.JSONDecodeError:
                        state = {}  # a half-written file (a process killed mid-write): start the pace afresh
                    yield state
                    file.seek(0)
                    file.truncate()
                    file.write(orjson.dumps(state))
                    file.flush()
                finally:
                    fcntl.flock(file, fcntl.LOCK_UN)


_BUDGETS: dict[tuple[str, str, Path | None], RateBudget] = {}
_BUDGETS_LOCK = threading.Lock()


def budget_for(system: str, account: str, requests_per_second: float = 0.0, directory: Path | None = None,
               documented_interval: float = 0.0) -> RateBudget:
    """The budget of one vendor account (`account` names base URL and credentials), shared through a
    file in `directory` with every process using the same one (in this process only without it)."""
    key = (system, account, directory)
    with _BUDGETS_LOCK:
        if key not in _BUDGETS:
            path = None
            if directory is not None:
                directory.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256(account.encode()).hexdigest()[:16]
                path = directory / f"{system}-{digest}.json"
            _BUDGETS[key] = RateBudget(requests_per_second, path=path, documented_interval=documented_interval)
        return _BUDGETS[key]


def budgets_dir(data_dir: Path) -> Path:
    """Where the shared budget files of a data folder live."""
    return Path(os.fspath(data_dir)) / BUDGETS_DIR
