"""The nightly schedule; its cron and timezone come from the environment."""

from collections.abc import Mapping

import dagster as dg

from pipelines.jobs import nightly_job

DEFAULT_NIGHTLY_CRON = "0 3 * * *"
DEFAULT_TIMEZONE = "UTC"


def nightly_schedule(env: Mapping[str, str]) -> dg.ScheduleDefinition:
    """Run `nightly` at `HUB_NIGHTLY_CRON` in `HUB_TIMEZONE` (default 03:00 UTC)."""
    return dg.ScheduleDefinition(
        name="nightly_schedule",
        job=nightly_job,
        cron_schedule=env.get("HUB_NIGHTLY_CRON", DEFAULT_NIGHTLY_CRON),
        execution_timezone=env.get("HUB_TIMEZONE", DEFAULT_TIMEZONE),
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
