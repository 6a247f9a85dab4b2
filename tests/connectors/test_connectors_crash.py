"""Crash equivalence: SIGKILL the ingest process at several points, rerun, compare with a clean run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from connector_helpers import NEW_VENDOR_STREAMS, new_vendor_env, raw_rows, sandbox_env

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
# The other vendors, each phase once: a list mid-fetch (5 slices), journaled tracks killed inside the
# load's transaction, a query fetched but not loaded, a load committed but not recorded as done.
NEW_VENDOR_CRASHES = [
    ("shippo__shipments", "first-page", False),
    ("shippo__tracking", "in-load", True),
    ("salesforce__leads", "fetched", True),
    ("salesforce__opportunity_line_items", "loaded", False),
]


def killed_then_rerun(env: dict[str, str], stream: str, point: str, same_run_id: bool, names: list[str]) -> dict:
    """Run `names` in a child killed at `point` of `stream`, then again in this process; their raw tables."""
    child = subprocess.run(
        [sys.executable, str(CHILD), "crashed", stream, point, ",".join(names)],
        env={**os.environ, **env, "PYTHONPATH": str(Path.cwd())},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    config = HubConfig.from_env(env)
    for name in names:
        ingest_stream(name, config, "crashed" if same_run_id else "rerun")
    return {name: raw_rows(config, name) for name in names}


@pytest.mark.parametrize(("stream", "point", "same_run_id"), CRASHES)
def test_killed_run_then_rerun_equals_a_clean_run(stream, point, same_run_id, tiny_sandbox, tmp_path, clean_tiny_tables):
    env = sandbox_env(tiny_sandbox.url, tmp_path / "data")
    assert killed_then_rerun(env, stream, point, same_run_id, list(STREAMS)) == clean_tiny_tables


@pytest.mark.parametrize(("stream", "point", "same_run_id"), NEW_VENDOR_CRASHES)
def test_a_killed_salesforce_or_shippo_run_then_rerun_equals_a_clean_run(
        stream, point, same_run_id, tiny_sandbox, tmp_path, clean_tiny_new_vendor_tables):
    system = stream.split("__")[0]
    names = [name for name in NEW_VENDOR_STREAMS if name.startswith(f"{system}__")]
    env = new_vendor_env(tiny_sandbox.url, tmp_path / "data")
    assert killed_then_rerun(env, stream, point, same_run_id, names) == {
        name: clean_tiny_new_vendor_tables[name] for name in names}
