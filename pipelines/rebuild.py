"""`python -m pipelines rebuild`: the warehouse's raw layer again from the landed pages alone, then dbt and publish.

Every run's landed pages of the configured streams (HUB_CRM's and HUB_FULFILMENT's vendors with the
other systems: `connectors.streams.configured_streams`) are replayed stream by stream in the order they were landed (the time
each `_fetch.json` was written), each with the cursor its fetch chose, so the raw tables and
cursors end as the original loads left them. A damaged page is skipped into `raw._quarantine`
(connectors/ingest.py `replay_landing`). A nightly that finds its warehouse damaged (truncated,
not a DuckDB file) moves it aside and calls the same replay before anything loads.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from connectors import warehouse
from connectors.config import HubConfig
from connectors.ingest import FETCH_MARKER, StreamReport, replay_landing
from connectors.landing import stream_dir
from connectors.streams import CATALOGUE, configured_streams

# A DuckDB file is a 12 KiB header and then its blocks; a shorter file lost blocks at its end.
DUCKDB_HEADER_BYTES = 3 * 4096
# Beside the warehouse while a rebuild replays into it: a rebuild killed half way is started again.
REBUILDING_SUFFIX = ".rebuilding"


def landed_runs(config: HubConfig, name: str) -> list[str]:
    """The runs whose fetch of stream `name` finished, in the order they were landed."""
    spec = CATALOGUE[name]
    if not config.landing_dir.is_dir():
        return []
    markers = [
        (marker.stat().st_mtime_ns, run.name)
        for run in config.landing_dir.iterdir()
        if (marker := stream_dir(config.landing_dir, run.name, spec.system, spec.stream) / FETCH_MARKER).exists()
    ]
    return [run for _, run in sorted(markers)]


def rebuild_raw(config: HubConfig, say: Callable[[str], None]) -> list[StreamReport]:
    """Replay every landed run of every configured stream into the warehouse (meant to be a new, empty one)."""
    reports = []
    for name in configured_streams(config.env):
        runs = landed_runs(config, name)
        for number, run_id in enumerate(runs, start=1):
            say(f"{name}: replaying run {number}/{len(runs)} ({run_id})")
            reports.append(replay_landing(name, config, run_id, on_progress=say))
        if not runs:
            say(f"{name}: nothing landed")
    return reports


def warehouse_damage(path: Path) -> str | None:
    """Why the warehouse file cannot be used (None when it opens and is whole, or does not exist yet)."""
    if _rebuild_marker(path).exists():
        return "a rebuild from the landed pages did not finish"
    if not path.exists():
        return None
    size = path.stat().st_size
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            blocks, block_size = con.execute("select used_blocks, block_size from pragma_database_size()").fetchone()
    except duckdb.Error as exc:
        if "lock" in str(exc).lower():  # another writer holds it (a dead run's dbt, an outside client)
            return None
        return str(exc)
    # Used blocks, not total: free blocks at the end may never have been written (a rebuild then an
    # ingest left 22 of 23 blocks in the file, 19 used), and a file cut short of them lost nothing.
    # A cut into the used blocks is still caught (the bound is exact when no free block precedes them).
    expected = DUCKDB_HEADER_BYTES + blocks * block_size
    # With a WAL (a writer was killed), DuckDB's sizes include what the WAL adds: the file may
    # rightly be shorter until the next checkpoint, and the open above succeeded.
    if size < expected and not path.with_name(path.name + ".wal").exists():
        return f"the file is {size} bytes, its own header says {expected}: it was truncated"
    return None


def move_aside(path: Path, why: str) -> Path:
    """Rename the warehouse (and its WAL) to `<name>.<why>-<UTC time>`, keeping it for a person to inspect."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.{why}-{stamp}")
    os.replace(path, target)
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        os.replace(wal, target.with_name(target.name + ".wal"))
    return target


def ensure_sound_warehouse(config: HubConfig, say: Callable[[str], None]) -> None:
    """A warehouse that does not open is moved aside and rebuilt from the landed pages, saying so."""
    path = config.warehouse_path
    with warehouse.exclusive(path):  # no load of another run meanwhile; checked again under the lock
        damage = warehouse_damage(path)
        if damage is None:
            return
        aside = f"moved it to {move_aside(path, 'damaged')}" if path.exists() else "it is not there"
        say(f"the warehouse {path} is damaged ({damage}); {aside}; rebuilding it from {config.landing_dir}")
        marker = _rebuild_marker(path)
        marker.touch()
    rebuild_raw(config, say)
    marker.unlink()
    say(f"rebuilt the raw layer of {path} from the landed pages; this run's dbt build rebuilds the models")


def _rebuild_marker(path: Path) -> Path:
    return path.with_name(path.name + REBUILDING_SUFFIX)


def run_rebuild(data_dir: Path) -> int:
    """The `rebuild` command: move the warehouse aside, replay the landing, build and publish."""
    import dagster as dg

    from pipelines.transform.project import prepare_dbt_project

    from pipelines.recovery import recovery_lock

    config = HubConfig.from_env()
    say = _print
    path = config.warehouse_path
    prepare_dbt_project()
    from pipelines.definitions import build_definitions

    systems = sorted({spec.system for spec in configured_streams(config.env).values()})
    job = dg.define_asset_job("rebuild", selection=dg.AssetSelection.all() - dg.AssetSelection.groups(*systems))
    with dg.DagsterInstance.get() as instance:
        with recovery_lock(instance):  # a run starting meanwhile waits instead of loading into it
            with warehouse.exclusive(path):
                if path.exists():
                    say(f"moved the current warehouse to {move_aside(path, 'before-rebuild')}")
                _rebuild_marker(path).touch()
            rebuild_raw(config, say)
            _rebuild_marker(path).unlink()
        result = (
            dg.Definitions.merge(build_definitions(), dg.Definitions(jobs=[job]))
            .resolve_job_def("rebuild")
            .execute_in_process(instance=instance, raise_on_error=False)
        )
    if not result.success:
        print(f"\nThe rebuild's dbt build or publish failed (run {result.run_id}); the raw layer is rebuilt in {path}.")
        return 1
    print(f"\nRebuilt {path} from {config.landing_dir} and published the marts (run {result.run_id}).")
    return 0


def _print(line: str) -> None:
    print(line, flush=True)
