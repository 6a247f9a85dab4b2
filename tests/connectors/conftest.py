"""Fixtures for connector tests against the live sandbox over real HTTP on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from connector_helpers import sandbox_env

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
