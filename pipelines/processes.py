"""Is a process still there? Liveness of the pids the hub records (run workers, publish writers, dbt).

A pid alone can be reused after its process died, so a caller that knows when its process was
already running passes that time: a process that started later is another one.
"""

import os
import signal
from pathlib import Path


def process_alive(pid: int, running_at: float | None = None) -> bool:
    """Whether `pid` runs and is not a zombie, and (given `running_at`, epoch seconds) started no later than that."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    started = _linux_start(pid)
    if started is None:  # not Linux (or gone meanwhile): the signal check is all we have
        return True
    state, start_time = started
    if state == "Z":  # killed, not yet reaped by its parent: dead to us
        return False
    # /proc start times have clock-tick resolution and the boot time whole seconds.
    return running_at is None or start_time <= running_at + 2.0


def kill_process(pid: int) -> None:
    """SIGKILL `pid` if it still exists (an orphan of a dead run: nothing of it will be used)."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _linux_start(pid: int) -> tuple[str, float] | None:
    """(state, start time in epoch seconds) from /proc, or None where /proc does not tell."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(line for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime "))
    except (OSError, StopIteration):
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its closing one.
    fields = stat[stat.rindex(")") + 2 :].split()
    ticks = int(fields[19])  # field 22, starttime, in clock ticks since boot
    return fields[0], int(boot.split()[1]) + ticks / os.sysconf("SC_CLK_TCK")
