"""The connectors' warehouse lock, held by writers that do not go through the connectors (dbt).

connectors/warehouse.py serialises its loads with an fcntl lock on `<warehouse>.lock`; taking
the same lock around a dbt build makes loads from a concurrent run wait for it.
"""

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def exclusive_warehouse(path: Path) -> Iterator[None]:
    """Hold the warehouse's lock file for the `with` block (blocks until it is free)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a+b") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
