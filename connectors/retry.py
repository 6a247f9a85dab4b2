"""Retry decisions as pure functions, so they can be tested with a fake clock and fake responses.

Whatever a vendor says about waiting is a hint, never an order: `retry_wait` keeps it between the
backoff for that attempt (so `Retry-After: 0` cannot make us hammer) and `RETRY_WAIT_CAP_SECONDS`,
and ignores values that are not finite numbers (`nan`, `inf`), falling back to backoff. The total
stays bounded by HUB_HTTP_RETRY_MAX_SECONDS in http.py.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import orjson

# Meta reports throttling as HTTP 400 or 403 with these error codes (4: application, 17: user,
# 32: page, 613: calls per time window, 80000-80014: business use case limits):
# https://developers.facebook.com/docs/graph-api/overview/rate-limiting/ and
# https://developers.facebook.com/docs/marketing-api/overview/rate-limiting
META_RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
META_THROTTLE_STATUSES = (400, 403)

BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 30.0
# The longest single wait a vendor may ask for; a longer ask (or one past the retry time bound)
# ends the retries with a clear error instead of a silent hour-long sleep.
RETRY_WAIT_CAP_SECONDS = 3600.0

# Google's `google.protobuf.Duration` in JSON: "30s", "1.5s".
_DURATION = re.compile(r"^\s*(-?[0-9.]+(?:[eE][-+]?[0-9]+)?)s\s*$")


def should_retry(status: int | None, body: bytes = b"") -> str | None:
    """Why a response is worth retrying ("rate_limited", "server_error", "dropped"), or None.

    `status` None means no response at all (connection dropped, timeout, truncated body).
    """
    if status is None:
        return "dropped"
    if status == 429:
        return "rate_limited"
    if status >= 500:
        return "server_error"
    if status in META_THROTTLE_STATUSES and _meta_error_code(body) in META_RATE_LIMIT_CODES:
        return "rate_limited"
    return None


def _error_object(body: bytes) -> dict[str, Any] | None:
    """The `error` object of a Graph (Meta) or Google API error body, else None."""
    if not body or b'"error"' not in body:
        return None
    try:
        error = orjson.loads(body).get("error")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return error if isinstance(error, dict) else None


def _meta_error_code(body: bytes) -> int | None:
    error = _error_object(body)
    try:
        return int(error["code"]) if error else None
    except (KeyError, TypeError, ValueError):
        return None


def _finite(value: Any) -> float | None:
    """`value` as a finite float, else None (`nan`, `inf` and junk are no advice at all)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def retry_after_seconds(headers: Mapping[str, str], now: float, body: bytes = b"") -> float | None:
    """Seconds the vendor asks us to wait, from its headers or error body; None when it says nothing usable.

    `now` is the current Unix time, needed for HTTP-date and epoch-valued headers. Header names
    must be looked up case-insensitively (httpx.Headers does). A past date or a negative value
    is 0; `nan`, `inf` and unparseable values are None.
    """
    value = (headers.get("retry-after") or "").strip()
    if value:
        # RFC 9110 section 10.2.3: delay-seconds or an HTTP-date.
        seconds = _finite(value)
        if seconds is None and not value.lstrip("+-").replace(".", "").isalpha():
            try:
                seconds = parsedate_to_datetime(value).timestamp() - now
            except (TypeError, ValueError, IndexError, OverflowError):
                seconds = None
        if seconds is not None:
            return max(seconds, 0.0)
    for name in ("x-ratelimit-reset", "ratelimit-reset"):
        seconds = _finite(headers.get(name))
        if seconds is not None:
            # Some vendors send an epoch timestamp, ShipStation and DocuSign seconds until the reset.
            return max(seconds - now, 0.0) if seconds > 1e9 else max(seconds, 0.0)
    # HubSpot: an exhausted secondly/interval budget refills after the interval
    # (https://developers.hubspot.com/docs/api/usage-details#rate-limits).
    if headers.get("x-hubspot-ratelimit-secondly-remaining") == "0" or headers.get("x-hubspot-ratelimit-remaining") == "0":
        interval = headers.get("x-hubspot-ratelimit-interval-milliseconds")
        if interval and interval.isdigit():
            return int(interval) / 1000.0
    for name in ("x-business-use-case-usage", "x-ad-account-usage"):
        minutes = _meta_regain_minutes(headers.get(name))
        if minutes is not None:
            return max(minutes, 0.0) * 60.0
    return _google_retry_delay(body)


def _meta_regain_minutes(value: str | None) -> float | None:
    """The largest finite `estimated_time_to_regain_access` (minutes) in a Meta usage header.

    https://developers.facebook.com/docs/graph-api/overview/rate-limiting/ (business use case
    rate limits): the header maps each business id to a list of usage entries.
    """
    if not value:
        return None
    try:
        usage = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    entries = [usage] if isinstance(usage, dict) and "estimated_time_to_regain_access" in usage else [
        entry
        for entries in (usage.values() if isinstance(usage, dict) else [])
        if isinstance(entries, list)
        for entry in entries
        if isinstance(entry, dict)
    ]
    minutes = [m for e in entries if (m := _finite(e.get("estimated_time_to_regain_access"))) is not None]
    return max(minutes, default=None)


def _google_retry_delay(body: bytes) -> float | None:
    """`retryDelay` of a Google error body: a `google.rpc.RetryInfo` detail
    (https://cloud.google.com/apis/design/errors#error_payloads) or the Google Ads
    `quotaErrorDetails.retryDelay` (https://developers.google.com/google-ads/api/reference/rpc/latest/QuotaErrorDetails)."""
    error = _error_object(body)
    details = error.get("details") if error else None
    if not isinstance(details, list):
        return None
    delays = []
    for detail in details:
        if not isinstance(detail, dict):
            continue
        delays.append(detail.get("retryDelay"))
        for failure in detail.get("errors") or ():
            if isinstance(failure, dict):
                delays.append(((failure.get("details") or {}).get("quotaErrorDetails") or {}).get("retryDelay"))
    seconds = [s for d in delays if isinstance(d, str) and (m := _DURATION.match(d)) and (s := _finite(m.group(1))) is not None]
    return max(max(seconds), 0.0) if seconds else None


def backoff(attempt: int, rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number `attempt` (1-based): capped exponential, equal jitter."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
    return (rng or random).uniform(ceiling / 2, ceiling)


def retry_wait(asked: float | None, attempt: int, rng: random.Random | None = None) -> float:
    """The wait before retry `attempt`: what the vendor asked, kept within [backoff, cap]."""
    floor = backoff(attempt, rng)
    if asked is None or not math.isfinite(asked):
        return floor
    return min(max(asked, floor), RETRY_WAIT_CAP_SECONDS)
