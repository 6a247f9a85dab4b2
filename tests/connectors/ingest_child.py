"""Child process for the concurrency test: ingest the given streams, logging to stderr.

Usage: ingest_child.py RUN_ID STREAM..., with the HUB_* settings in the environment.
"""

import logging
import sys

from connectors.config import HubConfig
from connectors.ingest import ingest_stream

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    config = HubConfig.from_env()
    for name in sys.argv[2:]:
        ingest_stream(name, config, sys.argv[1])
