"""A run that died frees what it held; the next run says what it cleaned up.

Dagster 1.13 frees a step's pool slot only from the process that orchestrates the run, so a run
killed with SIGKILL stays STARTED and keeps its `warehouse` slot; every later run waited for it
without limit, and at full CPU (`InstanceConcurrencyContext.interval_to_next_pending_claim_check`
returns at most 0, so the orchestrator never sleeps). The daemon's run monitoring covers runs it
launched, not `python -m pipelines nightly` nor a dead daemon. So, in every run's orchestrator
(installed from pipelines/definitions.py, which both load):

- when the run starts, runs of this instance whose worker process is gone (pid from Dagster's
  own "process (pid: N)" engine event, checked against its start time, on the host the run's
  `hub/host` tag names) are marked failed, their
  slots freed, their orphaned dbt killed and their temp files removed; every such action is a
  log line and an engine event of the new run. A damaged warehouse is moved aside and rebuilt
  from the landed pages (pipelines/rebuild.py) before anything loads;
- a step waiting for a pool slot checks the holder's liveness at each of Dagster's claim retries
  and gives up after `HUB_POOL_WAIT_SECONDS` (default 1800) with an error naming the holder.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import dagster as dg
from dagster._core.events import DagsterEventType
from dagster._core.execution.plan.instance_concurrency_context import InstanceConcurrencyContext
from dagster._core.storage.dagster_run import FINISHED_STATUSES, DagsterRunStatus, RunsFilter

from connectors.config import HubConfig, env_number
from connectors.ingest import FETCH_MARKER, REPLAY_DIR
from connectors.batches import BATCH_DIR
from connectors.warehouse import QUERY_DIR_PREFIX
from pipelines.processes import kill_process, process_alive
from pipelines.publish.atomic import remove_stale_staging_in

log = logging.getLogger("hub.recovery")

DBT_PID_TAG = "hub/dbt_pid"  # set by the dbt step (pipelines/transform/assets.py) while dbt runs
HOST_TAG = "hub/host"  # where the run's orchestrator runs: only there can its pid be checked
DEFAULT_POOL_WAIT_SECONDS = 1800.0
ACTIVE_STATUSES = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]
RECOVERY_LOCK = "recovery.lock"  # in DAGSTER_HOME: one run at a time cleans up after the dead


class PoolWaitTimeout(Exception):
    """A step waited longer than `HUB_POOL_WAIT_SECONDS` for a pool slot held by a live run."""


def pool_wait_seconds(env: Mapping[str, str]) -> float:
    """How long a step waits for a pool slot: `HUB_POOL_WAIT_SECONDS`, else 1800."""
    return env_number(env, "HUB_POOL_WAIT_SECONDS", DEFAULT_POOL_WAIT_SECONDS, float, "a number of seconds, e.g. 1800")


def run_worker(instance: dg.DagsterInstance, run_id: str) -> tuple[int, float] | None:
    """(pid, since when) of the process orchestrating a run, from Dagster's first engine event naming it."""
    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.ENGINE_EVENT, limit=20).records
    for record in records:
        event = record.event_log_entry
        data = event.dagster_event.engine_event_data if event.dagster_event else None
        pid = data.metadata.get("pid") if data else None
        if pid is not None:
            return int(getattr(pid, "value", pid)), event.timestamp
    return None


def worker_gone(instance: dg.DagsterInstance, run: dg.DagsterRun) -> bool:
    """Whether an active run's orchestrating process has died (a run with no process yet, or on another host, is not judged)."""
    if run.tags.get(HOST_TAG, socket.gethostname()) != socket.gethostname():
        return False  # the daemon's run monitoring covers runs elsewhere
    worker = run_worker(instance, run.run_id)
    return worker is not None and not process_alive(*worker)


def end_dead_run(instance: dg.DagsterInstance, run: dg.DagsterRun, data_dir: Path) -> list[str]:
    """Mark a run whose worker died as failed, free its pool slots, stop its orphaned dbt, remove its temp files."""
    done = []
    dbt_pid = run.tags.get(DBT_PID_TAG)
    if dbt_pid and process_alive(int(dbt_pid)):
        # dbt outlives its killed parent and keeps DuckDB's write lock: its results are never used.
        kill_process(int(dbt_pid))
        done.append(f"stopped dbt (pid {dbt_pid}), left running by dead run {run.run_id}")
    instance.report_run_failed(run, "the run's process died (found by a later run); what it held was freed")
    done.append(f"marked run {run.run_id} ({run.job_name}) failed: its process is gone")
    done += _free_slots(instance, run.run_id)
    done += remove_landing_leftovers(data_dir / "landing" / run.run_id)
    return done


def _free_slots(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    storage = instance.event_log_storage
    held = [
        f"{key}:{slot.step_key}"
        for key in storage.get_concurrency_keys()
        for slot in storage.get_concurrency_info(key).claimed_slots
        if slot.run_id == run_id
    ]
    storage.free_concurrency_slots_for_run(run_id)
    return [f"freed pool slot {slot} held by run {run_id}" for slot in held]


def remove_landing_leftovers(run_landing: Path) -> list[str]:
    """Half-landed stream folders (no `_fetch.json`) of a dead run: never replayed, never loaded."""
    removed = []
    for stream in sorted(run_landing.glob("*/*")):
        if stream.is_dir() and not (stream / FETCH_MARKER).exists():
            shutil.rmtree(stream, ignore_errors=True)
            removed.append(f"removed half-landed {stream} (its fetch never finished; it is never replayed)")
    return removed


def remove_stale_temp_files(data_dir: Path) -> list[str]:
    """Publish staging files and `hub-query-<pid>-*` folders whose process is gone."""
    removed = [
        f"removed {path}, left by a publish that did not finish"
        for directory in _publish_dirs(data_dir)
        for path in remove_stale_staging_in(directory)
    ]
    for folder in sorted(Path(tempfile.gettempdir()).glob(f"{QUERY_DIR_PREFIX}*")):
        pid = folder.name[len(QUERY_DIR_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(f"removed {folder}, left by a warehouse query whose process died")
    return removed


def _publish_dirs(data_dir: Path) -> Iterator[Path]:
    """Every folder publish writes into (pipelines/publish): the data folder, the report, each Parquet table."""
    from pipelines.publish.assets import PARQUET_DIR_NAME, REPORT_DIR_NAME

    yield data_dir
    yield data_dir / REPORT_DIR_NAME
    parquet = data_dir / PARQUET_DIR_NAME
    yield parquet
    if parquet.is_dir():
        yield from sorted(p for p in parquet.iterdir() if p.is_dir())


def recover(instance: dg.DagsterInstance, current_run_id: str, data_dir: Path) -> list[str]:
    """Clean up after every dead run of `instance` (not the current one); what was done, one line each."""
    with recovery_lock(instance):
        return _recover(instance, current_run_id, data_dir)


def _recover(instance: dg.DagsterInstance, current_run_id: str, data_dir: Path) -> list[str]:
    done: list[str] = []
    for run in instance.get_runs(RunsFilter(statuses=ACTIVE_STATUSES)):
        if run.run_id != current_run_id and worker_gone(instance, run):
            done += end_dead_run(instance, run, data_dir)
    # Slots of runs that ended without freeing them (failed by run monitoring, or by hand).
    holders = instance.event_log_storage.get_concurrency_run_ids() - {current_run_id}
    for run in instance.get_runs(RunsFilter(run_ids=sorted(holders))) if holders else []:
        if run.status in FINISHED_STATUSES:
            done += _free_slots(instance, run.run_id)
    done += remove_stale_replays(instance, data_dir / "landing")
    done += remove_stale_temp_files(data_dir)
    return done


def remove_stale_replays(instance: dg.DagsterInstance, landing: Path) -> list[str]:
    """Staged batches and replay copies in the folders of runs no longer active (a killed rebuild's, say).

    Runs under the recovery lock, which rebuilds hold too: no replay is under way.
    """
    active = {run.run_id for run in instance.get_runs(RunsFilter(statuses=ACTIVE_STATUSES))}
    removed = []
    for folder in sorted([*landing.glob(f"*/*/*/{BATCH_DIR}"), *landing.glob(f"*/*/*/{REPLAY_DIR}")]):
        if folder.parents[2].name not in active:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(f"removed {folder}, left by a load or replay that did not finish")
    return removed


@contextlib.contextmanager
def recovery_lock(instance: dg.DagsterInstance) -> Iterator[None]:
    """One process at a time cleans up after the dead or rebuilds the warehouse (never taken twice by one process)."""
    root = Path(instance.root_directory) if instance.is_persistent else Path(tempfile.gettempdir())
    with open(root / RECOVERY_LOCK, "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released by the kernel if we die too
        yield


def on_run_start(instance: dg.DagsterInstance, run_id: str) -> None:
    """Before any step: clean up after dead runs, then make sure the warehouse opens; say what was done."""
    from pipelines.rebuild import ensure_sound_warehouse

    run = instance.get_run_by_id(run_id)
    config = HubConfig.from_env()
    say = _announcer(instance, run)
    with recovery_lock(instance):  # a rebuild finishes before another run looks at the warehouse
        for line in _recover(instance, run_id, config.data_dir):
            say(line)
        ensure_sound_warehouse(config, say)


def _announcer(instance: dg.DagsterInstance, run: dg.DagsterRun | None) -> Callable[[str], None]:
    """A log line, and an engine event in the run's log (shown in the UI) when there is a run."""

    def say(line: str) -> None:
        log.warning("%s", line)
        if run is not None:
            instance.report_engine_event(f"recovery: {line}", run)

    return say


def holders_message(instance: dg.DagsterInstance, pool: str) -> str:
    """Which runs hold slots of `pool`, with their status, for an error a person can act on."""
    slots = instance.event_log_storage.get_concurrency_info(pool).claimed_slots
    parts = []
    for slot in slots:
        run = instance.get_run_by_id(slot.run_id)
        status = run.status.value if run else "unknown"
        parts.append(f"run {slot.run_id} (step {slot.step_key}, {status})")
    return ", ".join(parts) or "no run (the slot was freed meanwhile)"


_original_enter = InstanceConcurrencyContext.__enter__
_original_claim = InstanceConcurrencyContext.claim


def _enter(self: InstanceConcurrencyContext) -> InstanceConcurrencyContext:
    entered = _original_enter(self)
    self._instance.add_run_tags(self._run_id, {HOST_TAG: socket.gethostname()})
    on_run_start(self._instance, self._run_id)
    return entered


def _claim(self: InstanceConcurrencyContext, concurrency_key: str, step_key: str, step_priority: int = 0) -> bool:
    tries = self._pending_claim_counts[step_key]
    if _original_claim(self, concurrency_key, step_key, step_priority):
        getattr(self, "_hub_waiting_since", {}).pop(step_key, None)
        return True
    if self._pending_claim_counts[step_key] == tries:  # not due for a retry yet: nothing was asked
        return False
    waiting_since = self.__dict__.setdefault("_hub_waiting_since", {})
    started = waiting_since.setdefault(step_key, time.monotonic())
    instance: dg.DagsterInstance = self._instance
    holders = instance.event_log_storage.get_concurrency_info(concurrency_key).claimed_slots
    dead = [slot.run_id for slot in holders if _holder_dead(instance, slot.run_id)]
    if dead:
        run = instance.get_run_by_id(self._run_id)
        say = _announcer(instance, run)
        for line in recover(instance, self._run_id, HubConfig.from_env().data_dir):
            say(line)
        self._pending_timeouts[step_key] = 0.0  # claim again at once
        return False
    if self._pending_claim_counts[step_key] == 1:  # the first refusal: say once whom we wait for
        log.info("%s waits for a slot in pool %s, held by %s", step_key, concurrency_key,
                 holders_message(instance, concurrency_key))
    limit = pool_wait_seconds(os.environ)
    if time.monotonic() - started > limit:
        raise PoolWaitTimeout(
            f"{step_key} waited {limit:.0f}s (HUB_POOL_WAIT_SECONDS) for a slot in pool {concurrency_key!r}, "
            f"held by {holders_message(instance, concurrency_key)}. If that run is stuck, terminate it "
            f"(Dagster UI -> Runs) or free its slots (Deployment -> Concurrency), then re-execute this run."
        )
    return False


def _holder_dead(instance: dg.DagsterInstance, run_id: str) -> bool:
    run = instance.get_run_by_id(run_id)
    if run is None or run.status in FINISHED_STATUSES:
        return True
    return run.status in ACTIVE_STATUSES and worker_gone(instance, run)


def _next_claim_check(self: InstanceConcurrencyContext) -> float:
    """Seconds until the next due claim retry, never negative (Dagster's own returns min(0, ...): a busy loop)."""
    if not self._pending_claims:
        return 0.0
    now = time.time()
    return max(0.0, min(ready_at - now for ready_at in self._pending_timeouts.values()))


def install() -> None:
    """Apply the three changes above to Dagster's concurrency context (idempotent)."""
    InstanceConcurrencyContext.__enter__ = _enter  # type: ignore[method-assign]
    InstanceConcurrencyContext.claim = _claim  # type: ignore[method-assign]
    InstanceConcurrencyContext.interval_to_next_pending_claim_check = _next_claim_check  # type: ignore[method-assign]
