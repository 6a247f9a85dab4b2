"""One rate budget per vendor account, shared by every stream and thread of this process.

A budget spaces requests (an optional requests-per-second ceiling) and, when the vendor says
"slow down" (429, Retry-After), holds every caller of that account until the pause is over, so
parallel streams do not keep hammering an account that is already throttled.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateBudget:
    """Request spacing and shared pauses for one vendor account."""

    def __init__(
        self,
        requests_per_second: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = 1.0 / requests_per_second if requests_per_second > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot = 0.0
        self._paused_until = 0.0

    def acquire(self) -> float:
        """Wait for this account's next request slot; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next_slot, self._paused_until)
            self._next_slot = start + self._interval
        wait = start - now
        if wait > 0:
            self._sleep(wait)
        return max(wait, 0.0)

    def pause(self, seconds: float) -> None:
        """Hold every caller of this account for `seconds` from now (the vendor asked us to)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)


_BUDGETS: dict[tuple[str, str], RateBudget] = {}
_BUDGETS_LOCK = threading.Lock()


def budget_for(system: str, account: str, requests_per_second: float = 0.0) -> RateBudget:
    """The process-wide budget of one vendor account (created on first use)."""
    key = (system, account)
    with _BUDGETS_LOCK:
        if key not in _BUDGETS:
            _BUDGETS[key] = RateBudget(requests_per_second)
        return _BUDGETS[key]
