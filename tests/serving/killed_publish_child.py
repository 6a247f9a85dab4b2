"""A publish that gets killed just before its swap: `python killed_publish_child.py WAREHOUSE MARTS FLAG`.

The swap is replaced by a wait, after touching FLAG, so the parent can SIGKILL this process at
the worst moment: the staging file complete, the rename not done.
"""

import sys
import threading
from pathlib import Path

import pipelines.publish.marts_file as marts_file
from pipelines.publish.marts_file import Relation, publish_marts
from pipelines.publish.policy import PublishPolicy


def swap_never(staging: Path, target: Path, read_only: bool = True) -> None:
    """Signal the parent and wait to be killed."""
    Path(sys.argv[3]).touch()
    threading.Event().wait()


marts_file.swap_in = swap_never
publish_marts(Path(sys.argv[1]), Path(sys.argv[2]), [Relation("main", "mart_a")], "killed-run", "EUR", policy=PublishPolicy(key=b"k" * 32))
