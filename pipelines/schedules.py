"""The nightly schedule; its cron and timezone come from the environment (`ScheduleSettings`)."""

from collections.abc import Mapping

import dagster as dg

from pipelines.jobs import nightly_job
from pipelines.settings import ScheduleSettings


def nightly_schedule(env: Mapping[str, str]) -> dg.ScheduleDefinition:
    """Run `nightly` at `HUB_NIGHTLY_CRON` in `HUB_TIMEZONE` (default 03:00 UTC); a bad one raises SettingsError."""
    settings = ScheduleSettings.from_env(env)
    return dg.ScheduleDefinition(
        name="nightly_schedule",
        job=nightly_job,
        cron_schedule=settings.nightly_cron,
        execution_timezone=settings.timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
