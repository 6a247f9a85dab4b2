"""Retry decisions as pure functions, so they can be tested with a fake clock and fake responses."""

from __future__ import annotations

import random
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

import orjson

# Meta reports throttling as HTTP 400 with these error codes (17: user, 613: calls per second,
# 4: application, 32: page, 80000-80014: business use case limits).
META_RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})

BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 30.0


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
    if status == 400 and _meta_error_code(body) in META_RATE_LIMIT_CODES:
        return "rate_limited"
    return None


def _meta_error_code(body: bytes) -> int | None:
    if not body or b'"error"' not in body:
        return None
    try:
        error = orjson.loads(body).get("error")
        return int(error.get("code"))
    except (orjson.JSONDecodeError, AttributeError, TypeError, ValueError):
        return None


def retry_after_seconds(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds the vendor asks us to wait, from Retry-After or a vendor reset header; else None.

    `now` is the current Unix time, needed for HTTP-date and epoch-valued headers. Header names
    must be looked up case-insensitively (httpx.Headers does).
    """
    value = headers.get("retry-after")
    if value:
        value = value.strip()
        try:
            return max(float(value), 0.0)
        except ValueError:
            try:
                return max(parsedate_to_datetime(value).timestamp() - now, 0.0)
            except (TypeError, ValueError):
                pass
    for name in ("x-ratelimit-reset", "ratelimit-reset"):
        value = headers.get(name)
        if value:
            try:
                seconds = float(value)
            except ValueError:
                continue
            # Some vendors send an epoch timestamp, ShipStation sends seconds until the reset.
            return max(seconds - now, 0.0) if seconds > 1e9 else max(seconds, 0.0)
    # HubSpot: an exhausted secondly/interval budget refills after the interval.
    if headers.get("x-hubspot-ratelimit-secondly-remaining") == "0" or headers.get("x-hubspot-ratelimit-remaining") == "0":
        interval = headers.get("x-hubspot-ratelimit-interval-milliseconds")
        if interval and interval.isdigit():
            return int(interval) / 1000.0
    for name in ("x-business-use-case-usage", "x-ad-account-usage"):
        value = headers.get(name)
        if value:
            minutes = _meta_regain_minutes(value)
            if minutes:
                return minutes * 60.0
    return None


def _meta_regain_minutes(value: str) -> float | None:
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
    minutes = [float(e.get("estimated_time_to_regain_access") or 0) for e in entries]
    return max(minutes, default=None)


def backoff(attempt: int, rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number `attempt` (1-based): capped exponential, equal jitter."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
    return (rng or random).uniform(ceiling / 2, ceiling)
