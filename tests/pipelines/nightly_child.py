"""A nightly run in a child process that SIGKILLs itself at a chosen moment (or finishes, for the reruns).

Run from a forkserver that has imported the definitions once (tests/pipelines/test_pipelines_kill.py),
so a child costs its run, not Dagster's and dbt's imports. A moment is (phase, n, delay): the
process dies `delay` seconds after the `n`-th call of the phase's function, from a timer thread,
so a kill can land anywhere inside that phase (mid-request, mid-copy, mid-dbt).
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Moment:
    """Where a run is killed: `delay` seconds after the `call`-th call of `phase`'s function."""

    phase: str
    call: int
    delay: float

    def __str__(self) -> str:
        return f"{self.phase} (call {self.call}, +{self.delay:.3f}s)"


def _die_later(delay: float) -> None:
    def die() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    if delay <= 0:
        die()
    threading.Timer(delay, die).start()


def _hook(owner: Any, name: str, moment: Moment, after: bool = False) -> None:
    """Wrap `owner.name` so its `moment.call`-th call (before or after running) arms the kill."""
    original: Callable[..., Any] = getattr(owner, name)
    calls = 0
    lock = threading.Lock()

    @functools.wraps(original)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        with lock:
            calls += 1
            armed = calls == moment.call
        if armed and not after:
            _die_later(moment.delay)
        result = original(*args, **kwargs)
        if armed and after:
            _die_later(moment.delay)
        return result

    setattr(owner, name, wrapped)


def arm(moment: Moment) -> None:
    """Install the hook of the moment's phase (the functions are looked up where they are called)."""
    import connectors.batches
    import connectors.ingest
    import connectors.landing
    import pipelines.publish.assets
    import pipelines.publish.marts_file
    import pipelines.publish.parquet
    import pipelines.transform.assets

    hooks = {
        "fetch": (connectors.ingest, "make_http_client", False),  # a stream's client opens: its requests follow
        "landing": (connectors.landing.Lander, "write", False),
        "staging": (connectors.batches, "parse_batch", False),
        "load-commit": (connectors.ingest, "load_pages", True),  # merged, inside the transaction, or committing
        "dbt-build": (pipelines.transform.assets, "dbt_build_args", True),
        "publish-swap": (pipelines.publish.marts_file, "swap_in", False),
        "parquet-swap": (pipelines.publish.parquet, "swap_in", False),
        "report": (pipelines.publish.assets, "write_report", False),
    }
    owner, name, after = hooks[moment.phase]
    _hook(owner, name, moment, after)


def run_nightly(env: dict[str, str], moment: Moment | None) -> None:
    """Run the nightly job in this process with `env`; exit 0 when it succeeded, 1 when it failed."""
    os.environ.update(env)
    import dagster as dg

    from pipelines.definitions import build_definitions

    if moment is not None:
        arm(moment)
    with dg.DagsterInstance.get() as instance:
        result = build_definitions({}).resolve_job_def("nightly").execute_in_process(
            instance=instance, raise_on_error=False
        )
    sys.stdout.flush()
    os._exit(0 if result.success else 1)
