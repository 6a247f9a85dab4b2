"""Crash equivalence: SIGKILL the ingest process at several points, rerun, compare with a clean run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from connector_helpers import raw_rows, sandbox_env

from connectors.config import HubConfig
from connectors.ingest import ingest_stream
from connectors.streams import STREAMS

CHILD = Path(__file__).with_name("crash_child.py")
# (stream, point, rerun with the crashed run's id?)
CRASHES = [
    ("hubspot__contacts", "first-page", False),
    ("meta__insights", "fetched", True),
    ("docusign__envelopes", "in-load", False),
    ("shipstation__labels", "loaded", True),
]


@pytest.mark.parametrize(("stream", "point", "same_run_id"), CRASHES)
def test_killed_run_then_rerun_equals_a_clean_run(stream, point, same_run_id, tiny_sandbox, tmp_path, clean_tiny_tables):
    env = sandbox_env(tiny_sandbox.url, tmp_path / "data")
    child = subprocess.run(
        [sys.executable, str(CHILD), "crashed", stream, point],
        env={**os.environ, **env, "PYTHONPATH": str(Path.cwd())},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    config = HubConfig.from_env(env)
    for name in STREAMS:
        ingest_stream(name, config, "crashed" if same_run_id else "rerun")
    assert {name: raw_rows(config, name) for name in STREAMS} == clean_tiny_tables
