"""Independent streams in parallel threads and processes, and a foreign writer holding the file."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import selectors

import duckdb
import pytest
from connector_helpers import raw_rows, sandbox_env

from connectors.config import HubConfig
from connectors.ingest import ingest_stream
from connectors.streams import STREAMS

CHILD = Path(__file__).with_name("ingest_child.py")


def test_all_streams_in_parallel_threads_equal_a_sequential_run(tiny_sandbox, tmp_path, clean_tiny_tables):
    config = HubConfig.from_env(sandbox_env(tiny_sandbox.url, tmp_path / "data"))
    roots = [name for name, spec in STREAMS.items() if not spec.depends_on]
    dependents = [name for name, spec in STREAMS.items() if spec.depends_on]
    with ThreadPoolExecutor(max_workers=len(roots)) as pool:
        list(pool.map(lambda name: ingest_stream(name, config, "threads"), roots))
        list(pool.map(lambda name: ingest_stream(name, config, "threads"), dependents))
    assert {name: raw_rows(config, name) for name in STREAMS} == clean_tiny_tables


def test_processes_wait_for_a_foreign_writer_then_load(tiny_sandbox, tmp_path, clean_tiny_tables):
    env = sandbox_env(tiny_sandbox.url, tmp_path / "data")
    config = HubConfig.from_env(env)
    config.data_dir.mkdir(parents=True)
    streams = ["meta__insights", "google_ads__campaign_days", "ecb__rates", "docusign__envelopes"]
    foreign = duckdb.connect(str(config.warehouse_path))  # e.g. dbt: it knows nothing of our lock
    children = [
        subprocess.Popen(
            [sys.executable, str(CHILD), "procs", name],
            env={**os.environ, **env, "PYTHONPATH": str(Path.cwd())},
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in streams
    ]
    try:
        # Whichever child reaches the warehouse first finds it taken and retries; the others
        # queue behind it on our own lock file.
        assert first_line_containing(children, "is locked by another process, retrying")
    finally:
        foreign.close()
    for child in children:
        _, stderr = child.communicate(timeout=120)
        assert child.returncode == 0, stderr
    assert {name: raw_rows(config, name) for name in streams} == {name: clean_tiny_tables[name] for name in streams}


def first_line_containing(children: list[subprocess.Popen], text: str) -> str:
    """The first stderr line of any child that contains `text` (blocks until one appears)."""
    with selectors.DefaultSelector() as selector:
        for child in children:
            selector.register(child.stderr, selectors.EVENT_READ)
        while selector.get_map():
            for key, _ in selector.select():
                line = key.fileobj.readline()
                if not line:
                    selector.unregister(key.fileobj)
                elif text in line:
                    return line
    raise AssertionError(f"every child exited without logging {text!r}")


def test_tracking_threads_land_every_label_once_refuse_one_and_stop_at_the_first_failure():
    """The tracking fetch's threads take each label once; a 404 for one label is that label's refusal
    and the others go on; any other failed request is raised in the caller and the other thread sends
    nothing after the request it had under way."""
    from types import SimpleNamespace

    from connectors.errors import NotFoundError, RetryExhausted
    from connectors.systems import shipstation

    sent: list[str] = []
    landed: list[str] = []
    journaled: list[str] = []

    def run(fail_on: str | None, error: type[Exception] = NotFoundError) -> list[str]:
        sent.clear()
        landed.clear()
        journaled.clear()

        def send(method, url):
            label_id = url.rsplit("/", 2)[-2]
            sent.append(label_id)
            if label_id == fail_on:
                raise error(f"no label {label_id}")
            return SimpleNamespace(content=label_id.encode())

        client = SimpleNamespace(url=lambda path: path, send=send)
        ctx = SimpleNamespace(client=client, land=lambda scope, response, records, key: landed.append(key))
        journal = SimpleNamespace(record=lambda key, body: journaled.append(key))
        refused, _ = shipstation._track_each(ctx, iter([f"se-{i}" for i in range(500)]), {}, journal)
        return [error.pk for error in refused]

    labels = sorted(f"se-{i}" for i in range(500))
    assert run(None) == []
    assert sorted(landed) == sorted(sent) == sorted(journaled) == labels
    assert run("se-100") == ["se-100"]
    assert sorted(sent) == labels and sorted(landed) == [label for label in labels if label != "se-100"]
    with pytest.raises(RetryExhausted, match="no label se-100"):
        run("se-100", RetryExhausted)
    assert "se-100" not in landed and len(sent) <= 100 + 1 + shipstation.TRACK_CONCURRENCY
