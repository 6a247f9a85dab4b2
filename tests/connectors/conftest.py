"""Fixtures for connector tests against the live sandbox over real HTTP on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from connector_helpers import NEW_VENDOR_STREAMS, new_vendor_env, raw_rows, sandbox_env

from connectors.config import HubConfig


@pytest.fixture(scope="session")
def tiny_sandbox() -> Iterator[object]:
    """One tiny sandbox shared by the read-only connector tests (clock never moved)."""
    from sandbox.server import running_sandbox

    with running_sandbox(seed=1, scale="tiny") as sb:
        yield sb


@pytest.fixture
def tiny_config(tiny_sandbox, tmp_path) -> HubConfig:
    """Settings pointing every system at the shared tiny sandbox, with a fresh data dir."""
    return HubConfig.from_env(sandbox_env(tiny_sandbox.url, tmp_path / "data"))


@pytest.fixture(scope="session")
def clean_tiny_tables(tiny_sandbox, tmp_path_factory) -> dict[str, list[tuple]]:
    """Raw tables of one uninterrupted, sequential, fault-free run of every stream on tiny."""
    from connectors.ingest import ingest_stream
    from connectors.streams import STREAMS

    config = HubConfig.from_env(sandbox_env(tiny_sandbox.url, tmp_path_factory.mktemp("clean")))
    for name in STREAMS:
        ingest_stream(name, config, "clean")
    return {name: raw_rows(config, name) for name in STREAMS}


@pytest.fixture(scope="session")
def clean_tiny_new_vendor_tables(tiny_sandbox, tmp_path_factory) -> dict[str, list[tuple]]:
    """Raw tables of one fault-free run on tiny of the vendors outside the default pair (Salesforce,
    Shippo), which the crash, fault and hostile tests hold to the same equivalences as the others."""
    from connectors.ingest import ingest_stream

    config = HubConfig.from_env(new_vendor_env(tiny_sandbox.url, tmp_path_factory.mktemp("clean-new")))
    for name in NEW_VENDOR_STREAMS:
        ingest_stream(name, config, "clean")
    return {name: raw_rows(config, name) for name in NEW_VENDOR_STREAMS}
