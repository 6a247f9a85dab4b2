"""Re-executing a failed run from failure finishes the job and pulls nothing twice.

The first run fails in the ShipStation streams (its API key is missing); the re-execution from
failure, with the key back, runs only those steps. The raw tables then equal a clean run's.
"""

import dagster as dg
import duckdb
import pytest

from pipeline_runs import NightlyRun, raw_state
from connectors.streams import STREAMS

INGEST_GROUPS = sorted({spec.system for spec in STREAMS.values()})
IN_PROCESS = {"execution": {"config": {"in_process": {}}}}


def ingest_job() -> dg.JobDefinition:
    """Every ingest asset and its checks, nothing else: the part of `nightly` that pulls."""
    from pipelines.definitions import build_definitions

    job = dg.define_asset_job("ingest_only", selection=dg.AssetSelection.groups(*INGEST_GROUPS))
    return dg.Definitions.merge(build_definitions({}), dg.Definitions(jobs=[job])).resolve_job_def("ingest_only")


def test_rerun_from_failure_equals_a_clean_run(
    nightly: NightlyRun, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    for name, value in {**nightly.env, "HUB_DATA_DIR": str(data_dir)}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("HUB_SHIPSTATION_API_KEY")
    job = dg.reconstructable(ingest_job)
    with dg.instance_for_test() as instance:
        with dg.execute_job(job, instance, run_config=IN_PROCESS) as first:
            assert not first.success
            # tracking waits on labels, so it never starts
            assert {e.step_key for e in first.all_events if e.is_step_failure} == {
                "shipstation__labels",
                "shipstation__shipments",
            }
            # a missing key is no transient error: failed at once, never put up for retry
            assert not [e for e in first.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
            first_run_id = first.run_id

        monkeypatch.setenv("HUB_SHIPSTATION_API_KEY", nightly.env["HUB_SHIPSTATION_API_KEY"])
        options = dg.ReexecutionOptions.from_failure(first_run_id, instance)
        with dg.execute_job(job, instance, run_config=IN_PROCESS, reexecution_options=options) as rerun:
            assert rerun.success
            rerun_steps = {e.step_key for e in rerun.all_events if e.is_step_success}
            rerun_id = rerun.run_id

    assert "hubspot__contacts" not in rerun_steps  # what succeeded first is not run again
    assert {"shipstation__shipments", "shipstation__labels", "shipstation__tracking"} <= rerun_steps
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        loads = con.execute("select stream, run_id from raw._loads order by stream").fetchall()
    # One load per stream: the shipstation ones in the re-execution, every other in the first run.
    assert loads == sorted(
        (name, rerun_id if name.startswith("shipstation__") else first_run_id) for name in STREAMS
    )
    assert raw_state(data_dir / "warehouse.duckdb", STREAMS) == raw_state(nightly.data_dir / "warehouse.duckdb", STREAMS)
