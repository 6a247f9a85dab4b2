"""The nightly in two runs: `nightly_ingest` pulls every stream; once it succeeds, `nightly_build`
builds and tests the dbt models and publishes the marts (pipelines/sensors.py launches it).

Two runs, not one: Dagster OSS judges an asset failed when the latest run that planned it failed
and did not materialise it (`last_run_id`, set on ASSET_MATERIALIZATION_PLANNED in
dagster/_core/storage/event_log/sql_event_log.py; read in
dagster/_core/definitions/asset_health/asset_materialization_health.py,
`_get_is_currently_failed_and_latest_terminal_run_id_and_timestamp`), so models skipped after a
failed stream showed red (https://github.com/dagster-io/dagster/issues/28789). A build planned only
after a complete, successful ingest keeps that contract and leaves unrun assets their last state.

A date range of the dated streams is re-pulled by Dagster's own partition backfill of their
assets (pipelines/ingest/partitions.py), not by a job of its own.
"""

from collections.abc import Mapping
from typing import Any

import dagster as dg

from connectors.config import HubConfig
from connectors.streams import CATALOGUE
from pipelines.ingest.assets import stream_asset_key
from pipelines.ingest.partitions import DATED_STREAMS, nightly_partition_range, partition_range_tags
from pipelines.transform.assets import hub_dbt_models

# Runs launched by the daemon (the schedule, the sensor) or the UI execute each step in its own
# process. By default every such process starts cold and imports Dagster, dbt and the definitions:
# about 3 s of CPU per step, 15 steps on 2 cores. A forkserver that has imported them once forks
# each step ready to run. Default run config rather than a fixed executor, so a run can still ask
# for `in_process` (tests do).
FORKED_STEPS = {
    "execution": {"config": {"multiprocess": {"start_method": {"forkserver": {"preload_modules": ["pipelines.definitions"]}}}}}
}
# A run that dies of something transient (a killed worker, a lost vendor) is retried from failure
# by the daemon: steps that succeeded are not run again, so nothing is pulled twice.
RETRIED_FROM_FAILURE = {"dagster/max_retries": 2, "dagster/retry_strategy": "FROM_FAILURE"}
INGEST_RUN_TAG = "hub/ingest_run"  # on a nightly_build run: the ingest run it builds from

# Every stream of whichever vendors are configured (an ingest asset's group is its system), with its
# own checks; the dbt tests of the sources run with the dbt build.
INGEST = dg.AssetSelection.groups(*sorted({spec.system for spec in CATALOGUE.values()})) - dg.AssetSelection.checks(
    *hub_dbt_models.check_keys
)

nightly_ingest_job = dg.define_asset_job(
    name="nightly_ingest",
    selection=INGEST,
    description="Pull every stream into raw. When it succeeds, the sensor build_after_ingest launches nightly_build.",
    tags=RETRIED_FROM_FAILURE,
    config=FORKED_STEPS,
)

nightly_build_job = dg.define_asset_job(
    name="nightly_build",
    selection=dg.AssetSelection.all() - INGEST,
    description="Build and test the dbt models, check the marts, publish them; launched after a successful nightly_ingest.",
    tags=RETRIED_FROM_FAILURE,
    config=FORKED_STEPS,
)

nightly_job = dg.define_asset_job(
    name="nightly",
    selection=dg.AssetSelection.all(),
    description="Both stages in one run, for tests and benchmarks that want one result. A stream that fails "
    "here shows the models it skipped as failed: the schedule and `make run` run nightly_ingest, then nightly_build.",
    tags=RETRIED_FROM_FAILURE,
    config=FORKED_STEPS,
)


def run_nightly_in_process(
    defs: dg.Definitions, loggers: Mapping[str, dg.LoggerDefinition] | None = None, **execute: Any
) -> list[dg.ExecuteInProcessResult]:
    """The nightly as the schedule runs it, in this process: `nightly_ingest`, then `nightly_build`
    only if it succeeded. Each run's result, in order; `loggers` and `execute` (instance, run_config)
    go to both."""

    def run(job_name: str, **tags: str) -> dg.ExecuteInProcessResult:
        resolved = defs.resolve_job_def(job_name)
        resolved = resolved.with_logger_defs(dict(loggers)) if loggers else resolved
        return resolved.execute_in_process(raise_on_error=False, tags=tags, **execute)

    ingest = run(nightly_ingest_job.name)
    return [ingest, run(nightly_build_job.name, **{INGEST_RUN_TAG: ingest.run_id})] if ingest.success else [ingest]


def build_request(ingest_run_id: str) -> dg.RunRequest:
    """The `nightly_build` run for one successful ingest run (one per ingest run: its id is the run key)."""
    return dg.RunRequest(run_key=ingest_run_id, run_config=FORKED_STEPS, tags={INGEST_RUN_TAG: ingest_run_id})


def nightly_tags(instance: dg.DagsterInstance, config: HubConfig) -> dict[str, str]:
    """Run tags for a nightly: the days its dated streams re-pull (their restatement windows) as a
    partition range; none on a first night, which loads the history through the connectors' windows."""
    loaded_before = any(instance.get_latest_materialization_event(stream_asset_key(s)) for s in DATED_STREAMS)
    key_range = nightly_partition_range(config, loaded_before)
    return partition_range_tags(key_range) if key_range else {}
