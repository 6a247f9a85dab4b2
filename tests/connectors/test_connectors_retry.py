"""Retry decisions, backoff and the shared rate budget, with fake clocks."""

import random
from email.utils import formatdate

import httpx
import orjson
import pytest

from connectors.budget import RateBudget
from connectors.retry import BACKOFF_CAP_SECONDS, RETRY_WAIT_CAP_SECONDS, backoff, retry_after_seconds, retry_wait, should_retry


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (None, b"", "dropped"),
        (429, b"", "rate_limited"),
        (500, b"", "server_error"),
        (503, b"", "server_error"),
        (400, orjson.dumps({"error": {"code": 17, "message": "User request limit reached"}}), "rate_limited"),
        (400, orjson.dumps({"error": {"code": 613}}), "rate_limited"),
        (400, orjson.dumps({"error": {"code": 100, "message": "Invalid parameter"}}), None),
        (400, b"not json", None),
        (401, b"", None),
        (404, b"", None),
        (200, b"", None),
    ],
)
def test_should_retry(status, body, expected):
    assert should_retry(status, body) == expected


def test_retry_after_seconds_reads_each_header_kind():
    now = 1_800_000_000.0
    assert retry_after_seconds(httpx.Headers({"Retry-After": "7"}), now) == 7.0
    http_date = formatdate(now + 30, usegmt=True)
    assert retry_after_seconds(httpx.Headers({"retry-after": http_date}), now) == pytest.approx(30, abs=1)
    assert retry_after_seconds(httpx.Headers({"X-RateLimit-Reset": "12"}), now) == 12.0
    assert retry_after_seconds(httpx.Headers({"X-RateLimit-Reset": str(now + 5)}), now) == 5.0
    usage = orjson.dumps({"1001": [{"call_count": 100, "estimated_time_to_regain_access": 2}]}).decode()
    assert retry_after_seconds(httpx.Headers({"x-business-use-case-usage": usage}), now) == 120.0
    hubspot = {"X-HubSpot-RateLimit-Interval-Milliseconds": "1000", "X-HubSpot-RateLimit-Secondly-Remaining": "0"}
    assert retry_after_seconds(httpx.Headers(hubspot), now) == 1.0
    assert retry_after_seconds(httpx.Headers({}), now) is None
    assert retry_after_seconds(httpx.Headers({"Retry-After": "soon"}), now) is None


def test_backoff_grows_exponentially_up_to_the_cap_with_jitter():
    rng = random.Random(3)
    waits = [backoff(attempt, rng) for attempt in range(1, 12)]
    for attempt, wait in enumerate(waits, start=1):
        ceiling = min(BACKOFF_CAP_SECONDS, 0.5 * 2 ** (attempt - 1))
        assert ceiling / 2 <= wait <= ceiling
    assert waits[-1] > waits[0] * 10
    assert len({round(w, 6) for w in waits[-3:]}) == 3  # jittered, not identical


class FakeClock:
    def __init__(self):
        self.now = 100.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_rate_budget_spaces_requests_and_shares_pauses():
    clock = FakeClock()
    budget = RateBudget(requests_per_second=4, clock=clock, sleep=clock.sleep)
    assert budget.acquire() == 0
    assert budget.acquire() == pytest.approx(0.25)
    budget.pause(10)
    assert budget.acquire() == pytest.approx(10)
    assert clock.now == pytest.approx(110.25)


def test_rate_budget_without_limit_never_waits():
    clock = FakeClock()
    budget = RateBudget(clock=clock, sleep=clock.sleep)
    assert [budget.acquire() for _ in range(5)] == [0, 0, 0, 0, 0]
    assert clock.slept == []


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "0"}, 0.0),
        ({"Retry-After": "-5"}, 0.0),
        ({"Retry-After": "nan"}, None),
        ({"Retry-After": "inf"}, None),
        ({"Retry-After": "Thu, 01 Jan 1970 00:00:00 GMT"}, 0.0),  # a date in the past
        ({"X-RateLimit-Reset": "nan"}, None),
        ({"X-RateLimit-Reset": "-inf"}, None),
        ({"X-RateLimit-Reset": "-3"}, 0.0),
        ({"x-business-use-case-usage": '{"1": [{"estimated_time_to_regain_access": NaN}]}'}, None),
        ({"x-business-use-case-usage": '{"1": [{"estimated_time_to_regain_access": "soon"}]}'}, None),
        ({"x-business-use-case-usage": '{"1": [{"estimated_time_to_regain_access": -2}]}'}, 0.0),
    ],
)
def test_hostile_wait_headers_are_read_as_no_wait_or_no_advice(headers, expected):
    assert retry_after_seconds(httpx.Headers(headers), 1_800_000_000.0) == expected


def test_google_ads_retry_delay_comes_from_the_error_body():
    body = orjson.dumps({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [
        {"@type": "type.googleapis.com/google.ads.googleads.v21.errors.GoogleAdsFailure",
         "errors": [{"details": {"quotaErrorDetails": {"retryDelay": "12s"}}}]},
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "30s"}]}})
    assert retry_after_seconds(httpx.Headers({}), 0.0, body) == 30.0
    nan = orjson.dumps({"error": {"details": [{"retryDelay": "nans"}]}})
    assert retry_after_seconds(httpx.Headers({}), 0.0, nan) is None


def test_meta_throttling_on_403_is_a_rate_limit_and_permissions_are_not():
    assert should_retry(403, orjson.dumps({"error": {"code": 4, "message": "Application request limit reached"}})) == "rate_limited"
    assert should_retry(403, orjson.dumps({"error": {"code": 80004}})) == "rate_limited"
    assert should_retry(403, orjson.dumps({"error": {"code": 200, "message": "Permissions error"}})) is None


@pytest.mark.parametrize("asked", [None, 0.0, -5.0, float("nan"), float("inf"), 1e12, 7.0])
def test_retry_wait_stays_between_the_backoff_and_the_cap(asked):
    for attempt in range(1, 8):
        floor_ceiling = min(BACKOFF_CAP_SECONDS, 0.5 * 2 ** (attempt - 1))
        wait = retry_wait(asked, attempt, random.Random(attempt))
        assert floor_ceiling / 2 <= wait <= max(floor_ceiling, RETRY_WAIT_CAP_SECONDS)
        if asked == 7.0:
            assert wait == max(7.0, backoff(attempt, random.Random(attempt)))
        if asked == 1e12:
            assert wait == RETRY_WAIT_CAP_SECONDS
