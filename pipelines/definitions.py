"""Everything Dagster loads, gathered in one place; `workspace.yaml` points here."""

import os
from collections.abc import Mapping

import dagster as dg

from pipelines.alerts import alert_on_run_failure
from pipelines.checks.freshness import with_consumer_freshness
from pipelines.checks.marts import MART_CHECKS
from pipelines.ingest.assets import build_ingest_assets
from pipelines.jobs import nightly_build_job, nightly_ingest_job, nightly_job
from pipelines.publish.assets import build_publish_asset
from pipelines.recovery import install as install_recovery
from pipelines.resources import hub_resources
from pipelines.run_failure import install as install_run_failure
from pipelines.schedules import nightly_schedule
from pipelines.sensors import build_after_ingest
from pipelines.transform.assets import hub_dbt_models


def build_definitions(env: Mapping[str, str] | None = None) -> dg.Definitions:
    """The hub's definitions; `env` decides the schedule and which resource fields `dg.EnvVar` feeds (tests pass their own)."""
    env = os.environ if env is None else env
    return dg.Definitions(
        assets=[*build_ingest_assets(env), *with_consumer_freshness([hub_dbt_models, build_publish_asset()])],
        asset_checks=MART_CHECKS,
        jobs=[nightly_ingest_job, nightly_build_job, nightly_job],
        schedules=[nightly_schedule(env)],
        sensors=[alert_on_run_failure, build_after_ingest],
        resources=hub_resources(env),
    )


# Every run's orchestrator imports this module (in process or launched): from here on, its start
# cleans up after dead runs and a step's wait for a pool slot is bounded (pipelines/recovery.py).
install_recovery()
# ... and a run's failure event leads with the failed step's own line (pipelines/run_failure.py).
install_run_failure()


@dg.definitions
def defs() -> dg.Definitions:
    """What `workspace.yaml` loads: built when Dagster loads it, so settings are read then, never at import."""
    return build_definitions()
