"""The nightly's second run: `nightly_build` starts when a `nightly_ingest` run succeeds.

A run status sensor, as Dagster documents for launching a job after another succeeds
(https://docs.dagster.io/guides/automate/sensors/run-status-sensors). A failed ingest launches
nothing: the models and the published marts keep their last state and the last good marts stay.
"""

import dagster as dg

from pipelines.jobs import build_request, nightly_build_job, nightly_ingest_job


@dg.run_status_sensor(
    name="build_after_ingest",
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[nightly_ingest_job],
    request_job=nightly_build_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Launches nightly_build once a nightly_ingest run succeeds (one build per ingest run).",
)
def build_after_ingest(context: dg.RunStatusSensorContext) -> dg.RunRequest:
    """Build from the raw tables the ingest run just completed."""
    return build_request(context.dagster_run.run_id)
