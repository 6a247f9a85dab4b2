"""Shared fixtures: one tiny world per session and a server on it."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sandbox.server import RunningSandbox, running_sandbox
from sandbox.world.store import ensure_world
from sandbox_helpers import SEED


@pytest.fixture(scope="session")
def world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir holding the tiny world of SEED."""
    path = tmp_path_factory.mktemp("sandbox-worlds")
    ensure_world(SEED, "tiny", path)
    return path


@pytest.fixture(scope="session")
def world_file(world_dir: Path) -> Path:
    """The tiny world store."""
    return ensure_world(SEED, "tiny", world_dir)


@pytest.fixture(scope="session")
def server(world_dir: Path) -> Iterator[RunningSandbox]:
    """A fault-free server on the tiny world at the default clock (tests that move the clock restore it)."""
    with running_sandbox(seed=SEED, scale="tiny", data_dir=world_dir) as sb:
        yield sb


@pytest.fixture(scope="session")
def http(server: RunningSandbox) -> Iterator[httpx.Client]:
    """An httpx client on the session server."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client
