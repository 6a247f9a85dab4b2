"""Run-failure alerts: a short Slack-compatible message to `HUB_ALERT_WEBHOOK_URL`.

The webhook URL is a secret (whoever holds it can post to the channel): it is read from the
environment when the sensor fires and never logged. Without it the sensor does nothing.
"""

import logging
from collections.abc import Mapping

import dagster as dg
import httpx

from pipelines.settings import RunSettings

log = logging.getLogger(__name__)

WEBHOOK_TIMEOUT_SECONDS = 10.0
MAX_ERROR_CHARS = 500


def failure_message(job: str, run_id: str, failed_steps: list[str], error: str, ui_url: str) -> dict[str, str]:
    """The Slack-compatible body: `text` whose first line is the error's (a failed stream says which,
    why and the fix: pipelines/ingest/failure.py), then job, failed steps, the rest and a link."""
    error = error.strip() or "(no error message)"
    if len(error) > MAX_ERROR_CHARS:
        error = error[:MAX_ERROR_CHARS] + "..."
    first, _, rest = error.partition("\n")
    link = f"{ui_url.rstrip('/')}/runs/{run_id}"
    steps = ", ".join(failed_steps) or "(the run itself)"
    details = f"\n>{rest.strip()}" if rest.strip() else ""
    return {"text": f":red_circle: {first}\nDagster job `{job}` failed in {steps}{details}\n<{link}|Open run {run_id[:8]}>"}


def step_error(event: dg.DagsterEvent) -> str | None:
    """A failed step's message: a `dg.Failure`'s description (a stream's one line), else the error's."""
    data = event.event_specific_data
    if data is None:
        return None
    failure = getattr(data, "user_failure_data", None)
    if failure is not None and failure.description:
        return failure.description.strip()
    return data.error.message.strip() if data.error is not None else None


def post_alert(webhook_url: str, body: Mapping[str, str]) -> None:
    """POST `body` as JSON; a failing webhook is logged (without its URL), never raised."""
    try:
        response = httpx.post(webhook_url, json=dict(body), timeout=WEBHOOK_TIMEOUT_SECONDS, follow_redirects=False)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        log.warning("the alert webhook failed (%s); the alert was: %s", type(exc).__name__, body["text"])


def _failed_steps_and_error(context: dg.RunFailureSensorContext) -> tuple[list[str], str]:
    steps, errors = [], []
    for event in context.get_step_failure_events():
        steps.append(event.step_key or "?")
        error = step_error(event)
        if error:
            errors.append(error)
    if not errors and context.failure_event.message:
        errors.append(context.failure_event.message)
    return steps, errors[0] if errors else ""


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    description="Posts job, failed step, error and a link to HUB_ALERT_WEBHOOK_URL (Slack-compatible JSON).",
    default_status=dg.DefaultSensorStatus.RUNNING,
    monitor_all_code_locations=False,
)
def alert_on_run_failure(context: dg.RunFailureSensorContext) -> None:
    """Tell the team a run failed, with where to look."""
    settings = RunSettings.from_env()
    if settings.alert_webhook_url is None:
        return
    steps, error = _failed_steps_and_error(context)
    ui_url = settings.ui_url or f"http://{settings.ui_host}:{settings.ui_port}"
    body = failure_message(context.dagster_run.job_name, context.dagster_run.run_id, steps, error, ui_url)
    post_alert(settings.alert_webhook_url.get_secret_value(), body)
