"""Everything Dagster loads, gathered in one place; `workspace.yaml` points here."""

import os
from collections.abc import Mapping

import dagster as dg

from pipelines.ingest.assets import build_ingest_assets
from pipelines.jobs import nightly_job
from pipelines.publish.assets import build_publish_asset
from pipelines.resources import hub_resources
from pipelines.schedules import nightly_schedule
from pipelines.transform.assets import hub_dbt_models


def build_definitions(env: Mapping[str, str] | None = None) -> dg.Definitions:
    """The hub's definitions; `env` decides the schedule (tests pass their own)."""
    env = os.environ if env is None else env
    return dg.Definitions(
        assets=[*build_ingest_assets(), hub_dbt_models, build_publish_asset()],
        jobs=[nightly_job],
        schedules=[nightly_schedule(env)],
        resources=hub_resources(),
    )


defs = build_definitions()
