"""A pool slot held by a dead run is freed by the next run, which says so; one held by a live run is waited for, not for ever."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.events import EngineEventData

from pipelines.instance import INSTANCE_YAML
from pipelines.recovery import HOST_TAG, PoolWaitTimeout
from pipelines.recovery import install as install_recovery

# What importing pipelines.definitions does for every run; imported directly, the module needs no dbt
# manifest at collection time (a fresh clone has none until the session's dbt_manifest fixture runs).
install_recovery()

POOL = "warehouse"


@dg.op(pool=POOL)
def pooled() -> None:
    """Stands for the dbt build: a step of the `warehouse` pool."""


@dg.job
def pooled_job() -> None:
    pooled()


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dg.DagsterInstance]:
    """A persistent instance configured as `make run` writes it (pool limit 1), a data folder of its own."""
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "dagster.yaml").write_text(INSTANCE_YAML)
    with dg.DagsterInstance.from_config(str(tmp_path / "home")) as instance:
        yield instance


def started_run(instance: dg.DagsterInstance, pid: int, tags: dict[str, str] | None = None) -> dg.DagsterRun:
    """A STARTED run whose process is `pid`, as Dagster records it."""
    run = instance.create_run_for_job(
        pooled_job, run_id=str(uuid.uuid4()), status=dg.DagsterRunStatus.STARTED, tags=tags or {}
    )
    instance.report_engine_event(f"Executing steps in process (pid: {pid})", run, EngineEventData.in_process(pid))
    return run


def holder_run(instance: dg.DagsterInstance, pid: int) -> str:
    """A STARTED run whose process is `pid`, holding the pool's only slot, as a killed nightly leaves it."""
    run = started_run(instance, pid)
    instance.event_log_storage.initialize_concurrency_limit_to_default(POOL)  # as the first claim does
    assert instance.event_log_storage.claim_concurrency_slot(POOL, run.run_id, "hub_dbt_models").is_claimed
    return run.run_id


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_a_dead_runs_slot_is_freed_by_the_next_run_which_says_so(instance: dg.DagsterInstance) -> None:
    dead = holder_run(instance, dead_pid())
    elsewhere = started_run(instance, dead_pid(), {HOST_TAG: "another-host"}).run_id  # not ours to judge
    stage = Path(os.environ["HUB_DATA_DIR"]) / "landing" / dead / "hubspot" / "contacts"
    (stage / "_").mkdir(parents=True)  # half landed: no _fetch.json

    result = pooled_job.execute_in_process(instance=instance, raise_on_error=False)

    assert result.success
    said = [e.message for e in instance.all_logs(result.run_id) if (e.message or "").startswith("recovery: ")]
    assert f"recovery: marked run {dead} (pooled_job) failed: its process is gone" in said
    assert f"recovery: freed pool slot {POOL}:hub_dbt_models held by run {dead}" in said
    assert any(f"removed half-landed {stage}" in line for line in said)
    assert instance.get_run_by_id(dead).status == dg.DagsterRunStatus.FAILURE
    assert instance.get_run_by_id(elsewhere).status == dg.DagsterRunStatus.STARTED
    assert not stage.exists()
    assert instance.event_log_storage.get_concurrency_info(POOL).claimed_slots == []


def test_a_live_runs_slot_is_waited_for_a_bounded_time_naming_the_holder(
    instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUB_POOL_WAIT_SECONDS", "1")
    live = holder_run(instance, os.getpid())

    with pytest.raises(PoolWaitTimeout) as error:
        pooled_job.execute_in_process(instance=instance)

    message = str(error.value)
    assert f"pooled waited 1s (HUB_POOL_WAIT_SECONDS) for a slot in pool '{POOL}'" in message
    assert f"held by run {live} (step hub_dbt_models, STARTED)" in message
    assert instance.get_run_by_id(live).status == dg.DagsterRunStatus.STARTED  # a live run is left alone
