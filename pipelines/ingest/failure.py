"""A stream's failure as one line a person can act on: which stream, why, and the fix.

The connectors' errors already say why and what to do (connectors/errors.py); raised as a
`dg.Failure` its text is the step's error, shown in the run without a stack trace, and the first
line the alert (pipelines/alerts.py) carries.
"""

import dagster as dg

from connectors.errors import AuthError, ConfigError, LoadError, NotFoundError, RetryExhausted

# What to do when the error's own text has no fix in it; by kind of failure.
_FIXES: dict[type[Exception], str] = {
    ConfigError: "fix the setting named above (README, Configuration) and run again",
    AuthError: "renew or correct the system's credentials (README, Configuration) and run again",
    NotFoundError: "check the system's base URL and API version settings (README, Configuration): the vendor has no such path",
    RetryExhausted: "the vendor kept failing: check its status page and run again later",
    LoadError: "the warehouse could not take the load: see the reason, then re-run this stream",
}
DEFAULT_FIX = "see the reason above; the other streams' data is untouched, re-run this stream once it is fixed"


def failure_line(stream: str, error: BaseException) -> str:
    """`<stream> failed: <reason>. Fix: <what to do>`, on one line."""
    reason = " ".join(str(error).split()) or type(error).__name__
    reason = reason.removeprefix(f"{stream}: ")  # the connectors' errors often start with the stream already
    fix = next((text for kind, text in _FIXES.items() if isinstance(error, kind)), DEFAULT_FIX)
    return f"{stream} failed: {reason}. Fix: {fix}"


def stream_failure(stream: str, error: BaseException) -> dg.Failure:
    """The step's failure for `error` in `stream`: its one line first, the details as metadata."""
    return dg.Failure(
        description=failure_line(stream, error),
        metadata={
            "stream": dg.MetadataValue.text(stream),
            "error": dg.MetadataValue.text(type(error).__name__),
        },
        allow_retries=False,
    )
