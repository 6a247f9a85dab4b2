"""One nightly run in this process, reported as JSON: `python -m bench.run_once --out FILE`.

The benchmark runs this in a child process so that the child's memory is measured alone
and every run starts from a cold interpreter, as the schedule's runs do.
"""

import argparse
import json
import time
from pathlib import Path

import dagster as dg
import psutil

from connectors.streams import STREAMS


def nightly_job() -> dg.JobDefinition:
    """The `nightly` job, reconstructable from this module for the multiprocess executor."""
    from pipelines.definitions import build_definitions

    return build_definitions({}).resolve_job_def("nightly")


def phase_of(step_key: str) -> str:
    """Which phase of the nightly a step belongs to."""
    if step_key in STREAMS:
        return "ingest"
    if "dbt" in step_key:
        return "dbt build + tests"
    if "publish" in step_key or "report" in step_key:
        return "publish"
    return "checks"


def phase_windows(steps: dict[str, list[float]]) -> dict[str, tuple[float, float]]:
    """Wall-clock window of each phase: first step start to last step end."""
    windows: dict[str, tuple[float, float]] = {}
    for step, (start, end) in steps.items():
        phase = phase_of(step)
        low, high = windows.get(phase, (start, end))
        windows[phase] = (min(low, start), max(high, end))
    return windows


def step_windows(instance: dg.DagsterInstance, run_id: str) -> dict[str, tuple[float, float]]:
    """Start and end wall-clock times of every step of a run, from its event log."""
    windows: dict[str, list[float]] = {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            windows.setdefault(event.step_key, [entry.timestamp, entry.timestamp])[0] = entry.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
            windows.setdefault(event.step_key, [entry.timestamp, entry.timestamp])[1] = entry.timestamp
    return {key: (start, end) for key, (start, end) in windows.items()}


def ingest_reports(instance: dg.DagsterInstance, run_id: str) -> dict[str, dict[str, object]]:
    """The connectors' report of every ingest step: records, seconds, requests..."""
    reports: dict[str, dict[str, object]] = {}
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION):
        materialization = entry.asset_materialization
        if materialization is None or entry.step_key not in STREAMS:
            continue
        reports[entry.step_key] = {k: v.value for k, v in materialization.metadata.items()}
    return reports


def run(executor: str) -> dict[str, object]:
    """Execute `nightly` with the given executor; timings per step, reports per stream.

    The run's wall time starts when this process started: a scheduled run pays for its cold
    interpreter and imports too."""
    started = psutil.Process().create_time()
    with dg.DagsterInstance.get() as instance:
        if executor == "in_process":
            result = nightly_job().execute_in_process(instance=instance, raise_on_error=False)
            run_id, success = result.run_id, result.success
        else:
            with dg.execute_job(dg.reconstructable(nightly_job), instance=instance) as result:
                run_id, success = result.run_id, result.success
        return {
            "executor": executor,
            "success": success,
            "started": started,
            "ended": time.time(),
            "steps": step_windows(instance, run_id),
            "ingest": ingest_reports(instance, run_id),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--executor", choices=("in_process", "multiprocess"), default="in_process")
    args = parser.parse_args()
    result = run(args.executor)
    args.out.write_text(json.dumps(result, default=str))
    # A failed run's timings mean nothing: the bench stops with the log instead of printing them.
    raise SystemExit(0 if result["success"] else 1)


if __name__ == "__main__":
    main()
