"""The nightly schedule; its cron and timezone come from the environment (`ScheduleSettings`).

It starts `nightly_ingest`; its success starts `nightly_build` (pipelines/sensors.py)."""

from collections.abc import Mapping

import dagster as dg

from connectors.config import HubConfig
from pipelines.jobs import FORKED_STEPS, nightly_ingest_job, nightly_tags
from pipelines.settings import ScheduleSettings


def nightly_schedule(env: Mapping[str, str]) -> dg.ScheduleDefinition:
    """Run `nightly_ingest` at `HUB_NIGHTLY_CRON` in `HUB_TIMEZONE` (default 03:00 UTC); a bad one raises SettingsError.

    Each run carries the days its dated streams re-pull as a partition range (`nightly_tags`).
    """
    settings = ScheduleSettings.from_env(env)

    @dg.schedule(
        name="nightly_schedule",
        job=nightly_ingest_job,
        cron_schedule=settings.nightly_cron,
        execution_timezone=settings.timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="The nightly ingest (its success starts nightly_build), over the days the dated streams re-pull.",
    )
    def nightly(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        # A range run has no partition key to pick the job's config by: the forked steps are asked for here.
        return dg.RunRequest(run_config=FORKED_STEPS, tags=nightly_tags(context.instance, HubConfig.from_env()))

    return nightly
