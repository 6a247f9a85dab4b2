"""kill -9 once in each phase, at a random moment of it; each time the next nightly, unattended, publishes a clean run's marts.

Each of two lanes, a data folder and a persistent Dagster instance (pool `warehouse` limited to 1,
as `make run` writes it), carries a sequence: kill, rerun, kill, rerun... So each rerun also meets
what the killed run left: a STARTED run holding its pool slot, an orphaned dbt, staged batches, half-landed
folders, publish temp files. The moments are random but seeded (`HUB_KILL_SEED`); a failure names
the seed and the moment. One kill per phase by default (`HUB_KILLS` asks for more, round the
phases): another kill in a phase meets the same code at two more nightlies' cost, and each CI run's
new seed moves the moments. Runs are forked from a forkserver that imported the definitions once.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from connectors.streams import STREAMS
from nightly_child import Moment, run_nightly
from pipeline_runs import NightlyRun, marts_state, raw_state
from pipelines.instance import ensure_instance_config

pytestmark = pytest.mark.slow

# phase -> (highest call number that every tiny nightly reaches, (lowest, highest) delay in seconds)
PHASES = {
    "fetch": (12, (0.0, 0.3)),
    "landing": (12, (0.0, 0.02)),
    "staging": (6, (0.0, 0.05)),
    "load-commit": (12, (0.0, 0.02)),
    "dbt-build": (1, (0.2, 4.0)),
    "publish-swap": (1, (0.0, 0.0)),
    "parquet-swap": (15, (0.0, 0.01)),
    "report": (1, (0.0, 0.2)),
}
KILLS = int(os.environ.get("HUB_KILLS") or len(PHASES))  # the default kills once in every phase
CHILD_TIMEOUT_SECONDS = 300
# Two data folders, each with its own Dagster instance, side by side (one per core): the same
# kills in about half the time, each lane's reruns meeting what its own kills left.
LANES = 2


def moments(seed: int) -> list[Moment]:
    """`KILLS` moments spread over every phase, the same for the same seed."""
    rng = random.Random(seed)
    phases = list(PHASES)
    chosen = []
    for index in range(KILLS):
        phase = phases[index % len(phases)]
        calls, (low, high) = PHASES[phase]
        chosen.append(Moment(phase, rng.randint(1, calls), round(rng.uniform(low, high), 3)))
    return chosen


def test_killed_nightlies_then_unattended_reruns_publish_a_clean_runs_marts(nightly: NightlyRun, tmp_path: Path) -> None:
    seed = int(os.environ.get("HUB_KILL_SEED") or random.randrange(1_000_000))
    clean = (marts_state(nightly.data_dir / "marts.duckdb"), raw_state(nightly.data_dir / "warehouse.duckdb", STREAMS))
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["pipelines.definitions", "nightly_child"])
    numbered = list(enumerate(moments(seed), start=1))
    with ThreadPoolExecutor(LANES) as pool:
        lanes = [
            pool.submit(kill_and_rerun, context, nightly.env, tmp_path / f"lane-{lane}", numbered[lane::LANES], clean)
            for lane in range(LANES)
        ]
        failures = [failure for lane in lanes for failure in lane.result()]
    assert failures == [], f"seed {seed} (HUB_KILL_SEED={seed} repeats these moments)"


def kill_and_rerun(
    context: Any, env: dict[str, str], lane_dir: Path, numbered: list[tuple[int, Moment]], clean: tuple[Any, Any]
) -> list[str]:
    """In one data folder and Dagster instance: each moment's killed run, then a rerun compared with the clean run."""
    data_dir, dagster_home = lane_dir / "data", lane_dir / "dagster_home"
    ensure_instance_config(dagster_home)
    env = {**env, "HUB_DATA_DIR": str(data_dir), "DAGSTER_HOME": str(dagster_home)}

    def child(moment: Moment | None) -> int | None:
        process = context.Process(target=run_nightly, args=(env, moment))
        process.start()
        process.join(CHILD_TIMEOUT_SECONDS)
        if process.exitcode is None:  # a run that never ends is a failure to report, not to wait for
            process.kill()
            process.join()
        return process.exitcode

    for number, moment in numbered:
        where = f"kill {number}/{KILLS} at {moment}"
        if (code := child(moment)) != -signal.SIGKILL:
            return [f"{where}: the run was not killed there (exit code {code})"]
        if (code := child(None)) != 0:
            return [f"{where}: the rerun after it failed (exit code {code})"]
        if marts_state(data_dir / "marts.duckdb") != clean[0]:
            return [f"{where}: the rerun's marts differ from a clean run's"]
        if raw_state(data_dir / "warehouse.duckdb", STREAMS) != clean[1]:
            return [f"{where}: the rerun's raw tables differ from a clean run's"]

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        statuses = sorted(run.status.value for run in instance.get_runs())
        storage = instance.event_log_storage
        held = [slot for key in storage.get_concurrency_keys() for slot in storage.get_concurrency_info(key).claimed_slots]
    leftovers = sorted(str(p) for p in data_dir.rglob("*") if p.name == "_stage" or p.name.endswith(".tmp"))
    failures = []
    # Every killed run was found dead and marked failed by the run after it; nothing holds a pool slot.
    if statuses != ["FAILURE"] * len(numbered) + ["SUCCESS"] * len(numbered):
        failures.append(f"{lane_dir.name}: run statuses {statuses}")
    if held or leftovers:
        failures.append(f"{lane_dir.name}: pool slots still held {held}, files left {leftovers}")
    return failures
