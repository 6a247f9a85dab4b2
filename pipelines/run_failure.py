"""A failed run's failure event leads with the failed step's first line (which stream or model,
why, and the fix: pipelines/progress.py `failure_line`), then Dagster's own words.

Dagster has no setting for that message: `DagsterEvent.job_failure` writes
`Execution of run for "<job>" failed. Steps failed: [...]` (dagster/_core/events/__init__.py,
1.13.27 line 1270, called from dagster/_core/execution/api.py line 828) and logs the event as it
builds it. So, as pipelines/recovery.py does for pool slots, every run's orchestrator (which
imports pipelines/definitions.py) builds that event itself when a step failed.
"""

from __future__ import annotations

from dagster._core.events import DagsterEvent, DagsterEventType, JobFailureData, RunFailureReason
from dagster._core.execution.context.system import IPlanContext
from dagster._utils.error import SerializableErrorInfo

from pipelines.progress import failure_line

_original_job_failure = DagsterEvent.job_failure


def _job_failure(
    job_context_or_name: IPlanContext | str,
    context_msg: str,
    failure_reason: RunFailureReason,
    error_info: SerializableErrorInfo | None = None,
    first_step_failure_event: DagsterEvent | None = None,
) -> DagsterEvent:
    """Dagster's `job_failure` with the first failed step's line before its message; as Dagster's otherwise."""
    step_failed = first_step_failure_event is not None and first_step_failure_event.is_step_failure
    if not step_failed or not isinstance(job_context_or_name, IPlanContext):
        return _original_job_failure(job_context_or_name, context_msg, failure_reason, error_info, first_step_failure_event)
    try:
        ours = failure_line(first_step_failure_event)
    except Exception:  # a line we cannot word must never keep the run from being recorded as failed
        return _original_job_failure(job_context_or_name, context_msg, failure_reason, error_info, first_step_failure_event)
    if error_info is None:
        error_info = first_step_failure_event.step_failure_data.error
    return DagsterEvent.from_job(
        DagsterEventType.RUN_FAILURE,
        job_context_or_name,
        message=f'{ours}\nExecution of run for "{job_context_or_name.job_name}" failed. {context_msg}',
        event_specific_data=JobFailureData(
            error_info, failure_reason=failure_reason, first_step_failure_event=first_step_failure_event
        ),
    )


def install() -> None:
    """Build run failure events as above (idempotent)."""
    DagsterEvent.job_failure = staticmethod(_job_failure)  # type: ignore[method-assign]
