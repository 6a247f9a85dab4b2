"""Helpers for connector tests: sandbox settings and raw-table snapshots."""

from __future__ import annotations

from pathlib import Path

import duckdb

from connectors.config import HubConfig
from connectors.streams import CATALOGUE
from pipelines.sandbox_env import SYSTEM_PREFIXES
from pipelines.sandbox_env import sandbox_env as pipelines_sandbox_env


def sandbox_env(url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The HUB_* variables pointing every system at a sandbox at `url`, as the pipelines set them, with
    each system's static token (test_connectors_tokens.py puts the OAuth systems on their grants)."""
    env = pipelines_sandbox_env(url, list(SYSTEM_PREFIXES), oauth=False)
    env.update(HUB_DATA_DIR=str(data_dir), HUB_START_DATE="2025-10-01", HUB_HTTP_READ_TIMEOUT_SECONDS="10")
    env.update(extra)
    return env


# The streams of the vendors outside the default pair (Salesforce, Shippo), in catalogue order.
NEW_VENDOR_STREAMS = [name for name, spec in CATALOGUE.items() if spec.system in ("salesforce", "shippo")]


def new_vendor_env(url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """`sandbox_env` paced at the sandbox's time scale: Shippo sends no rate-limit headers to pace from,
    so its documented pace would otherwise run in real minutes."""
    return sandbox_env(url, data_dir, **{"HUB_RATE_LIMIT_TIME_SCALE": "60", **extra})


def raw_rows(config: HubConfig, table: str) -> list[tuple]:
    """(_pk, _scope, _cursor, _record) of a raw table, sorted: what equivalence tests compare."""
    con = duckdb.connect(str(config.warehouse_path), read_only=True)
    try:
        return con.execute(
            f"select _pk, _scope, _cursor, _record::varchar from raw.{table} order by _pk"
        ).fetchall()
    finally:
        con.close()
