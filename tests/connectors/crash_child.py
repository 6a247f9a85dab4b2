"""Child process for the crash test: ingest every stream, SIGKILL itself at a chosen point.

Usage: crash_child.py RUN_ID STREAM POINT [STREAMS], with the HUB_* settings in the environment;
STREAMS (comma-separated, in order) defaults to the default vendors' `STREAMS`.
POINT: `first-page` (a page landed, fetch going on), `fetched` (all landed, nothing loaded),
`in-load` (merge done inside the load transaction, not committed), `loaded` (committed).
"""

import os
import signal
import sys

from connectors import ingest, loading
from connectors.config import HubConfig
from connectors.streams import STREAMS


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def main(run_id: str, stream: str, point: str, names: str = "") -> None:
    if point == "in-load":
        original = loading.load_pages

        def load_then_die(con, spec, *args, **kwargs):
            counts = original(con, spec, *args, **kwargs)
            if spec.name == stream:
                die()
            return counts

        ingest.load_pages = load_then_die  # ingest looks the function up in its own namespace

    def on_progress(message: str) -> None:
        if not message.startswith(stream + ":"):
            return
        if (
            (point == "first-page" and "fetched 1 pages" in message)
            or (point == "fetched" and message.startswith(f"{stream}: loading"))
            or (point == "loaded" and message.startswith(f"{stream}: loaded"))
        ):
            die()

    config = HubConfig.from_env()
    for name in names.split(",") if names else STREAMS:
        ingest.ingest_stream(name, config, run_id, on_progress)


if __name__ == "__main__":
    main(*sys.argv[1:5])
