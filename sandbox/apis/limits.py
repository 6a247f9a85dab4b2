"""The vendors' documented rate limits, enforced per account and token, on a scaled clock.

Each vendor counts requests in fixed windows of *vendor time*; `--time-scale N` makes N vendor
seconds pass per real second, so a minute of ShipStation's 200-a-minute budget passes in a real
second at N=60. Every answer carries the vendor's own rate-limit headers (remaining counts as they
are, waits and reset times in real seconds, since that is what a client waits); a request over a
limit gets the vendor's throttling answer (the same `fault_response` as the `rate_limit` fault)
with the real wait to the window's end. Documented limits, each checked on the vendor's page:

- HubSpot private apps, Professional/Enterprise: 190 requests / 10 s and 650,000 a day; CRM search
  5 requests / s per token; `X-HubSpot-RateLimit-*` headers
  (https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines,
  https://developers.hubspot.com/changelog/increasing-our-api-limits). HubSpot's 10 s window rolls;
  here it is fixed, which a client pacing at 19 a second cannot tell apart.
- ShipStation v2: 200 requests / minute per account; 429 with `Retry-After`;
  `X-Rate-Limit-Limit/Remaining/Reset` (seconds to the reset) (https://docs.shipstation.com/rate-limits).
- DocuSign: 3,000 calls / hour per account, counted from the top of the hour, and 500 / 30 s
  bursts; `X-RateLimit-Limit/Remaining/Reset` (Reset an epoch time) and `X-BurstLimit-Limit/Remaining`
  (https://developers.docusign.com/platform/resource-limits).
- Meta: business-use-case limits per ad account, reported as percentages in
  `X-Business-Use-Case-Usage` (with `estimated_time_to_regain_access` in minutes) and
  `x-fb-ads-insights-throttle`; ads_insights on the Limited access tier is 600 calls an hour plus
  400 per active ad (https://developers.facebook.com/docs/graph-api/overview/rate-limiting/,
  https://developers.facebook.com/docs/marketing-api/insights/best-practices/); the sandbox
  counts the base 600.
- Google Ads: a developer token with Basic access may run 15,000 operations a day; past it,
  RESOURCE_EXHAUSTED with `retryDelay` (https://developers.google.com/google-ads/api/docs/best-practices/quotas).
- Shippo: per endpoint and verb, per minute, live / test keys: GET of a list (shipments, transactions)
  50 / 10, GET of one track 500 / 50; over it a 429 (https://docs.goshippo.com/docs/API_Concepts/RateLimits).
  The page names no rate-limit headers, so none are sent; orders are not in its table, so not limited.
- ECB: no documented limit; not limited.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.requests import Request

DEFAULT_TIME_SCALE = 60.0  # a vendor minute per real second: the limits bite, a nightly stays quick
DAY = 86400.0


@dataclass(frozen=True)
class Window:
    """At most `requests` per fixed window of `seconds` (vendor time), counted per key."""

    name: str
    requests: int
    seconds: float


# Which windows a request counts against: (vendor, path matcher) -> windows. The key a window counts
# under is the vendor's account (one per vendor here, or the account in the path) or the token.
HUBSPOT_BURST = Window("burst", 190, 10.0)
HUBSPOT_DAILY = Window("daily", 650_000, DAY)
HUBSPOT_SEARCH = Window("search", 5, 1.0)
SHIPSTATION = Window("minute", 200, 60.0)
DOCUSIGN_HOURLY = Window("hourly", 3000, 3600.0)
DOCUSIGN_BURST = Window("burst", 500, 30.0)
META_INSIGHTS = Window("ads_insights", 600, 3600.0)
GOOGLE_ADS_DAILY = Window("operations", 15_000, DAY)
SHIPPO_LIVE = {"/shipments": Window("shipments_list", 50, 60.0), "/transactions": Window("transactions_list", 50, 60.0),
               "/tracks": Window("tracks_get", 500, 60.0)}
SHIPPO_TEST = {"/shipments": Window("shipments_list_test", 10, 60.0),
               "/transactions": Window("transactions_list_test", 10, 60.0), "/tracks": Window("tracks_get_test", 50, 60.0)}


def windows_for(vendor: str, path: str, request: Request | None = None) -> tuple[Window, ...]:
    """The windows one request of `vendor` on route `path` counts against."""
    if vendor == "shippo":  # a test key (shippo_test_...) has Shippo's test-mode limits
        test = request is not None and request.headers.get("authorization", "").startswith("ShippoToken shippo_test_")
        window = (SHIPPO_TEST if test else SHIPPO_LIVE).get("/" + path.strip("/").split("/")[0])
        return (window,) if window else ()
    if vendor == "hubspot":
        search = (HUBSPOT_SEARCH,) if path.endswith("/search") else ()
        return (HUBSPOT_BURST, HUBSPOT_DAILY, *search)
    return {
        "shipstation": (SHIPSTATION,),
        "docusign": (DOCUSIGN_HOURLY, DOCUSIGN_BURST),
        "meta": (META_INSIGHTS,),
        "google_ads": (GOOGLE_ADS_DAILY,),
    }.get(vendor, ())


def _account(vendor: str, request: Request, window: Window) -> str:
    """Whose budget a request spends: the account in the path, or the token for HubSpot search."""
    if window is HUBSPOT_SEARCH:
        return request.headers.get("authorization", "")
    params = request.path_params
    return str(params.get("account") or params.get("customer") or "")


@dataclass
class Verdict:
    """What the limiter decided: the headers every answer carries and, when refused, the real wait."""

    headers: dict[str, str]
    refused: Window | None = None
    wait_seconds: float = 0.0


@dataclass
class Limiter:
    """Fixed-window counters per (vendor, window, account) on a vendor clock `time_scale` times faster."""

    time_scale: float = DEFAULT_TIME_SCALE
    enabled: bool = True
    clock: Callable[[], float] = time.time
    refused: Counter = field(default_factory=Counter)  # vendor -> requests answered with a throttle
    _started: float = field(default=0.0)
    _counts: dict[tuple[str, str, str], tuple[int, int]] = field(default_factory=dict)  # -> (window index, count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if not (self.time_scale > 0 and math.isfinite(self.time_scale)):
            raise ValueError(f"--time-scale {self.time_scale}: use a number of vendor seconds per real second above 0")
        self._started = self._started or self.clock()

    def vendor_now(self) -> float:
        """Vendor seconds since the sandbox started (the windows count from there)."""
        return (self.clock() - self._started) * self.time_scale

    def admit(self, vendor: str, path: str, request: Request) -> Verdict:
        """Count one request against its windows, or refuse it when any window is full."""
        windows = windows_for(vendor, path, request) if self.enabled else ()
        if not windows:
            return Verdict({})
        with self._lock:
            now = self.vendor_now()
            state = []
            for window in windows:
                key = (vendor, window.name, _account(vendor, request, window))
                index = int(now // window.seconds)
                seen_index, count = self._counts.get(key, (index, 0))
                count = count if seen_index == index else 0
                state.append((window, key, index, count))
            full = next(((w, i) for w, _, i, c in state if c >= w.requests), None)
            if full is None:
                for window, key, index, count in state:
                    self._counts[key] = (index, count + 1)
                state = [(w, k, i, c + 1) for w, k, i, c in state]
            else:
                self.refused[vendor] += 1
        remaining = {w.name: max(w.requests - c, 0) for w, _, _, c in state}
        resets = {w.name: ((i + 1) * w.seconds - now) / self.time_scale for w, _, i, _ in state}
        account = str(request.path_params.get("account", ""))
        verdict = Verdict(_headers(vendor, account, remaining, resets, self.time_scale, self.clock()))
        if full is not None:
            window, index = full
            verdict.refused = window
            verdict.wait_seconds = resets[window.name]
        return verdict


def _seconds(value: float) -> str:
    """A wait in whole real seconds, never 0 while the window is still open (clients round down)."""
    return str(max(1, math.ceil(value)))


def _headers(vendor: str, account: str, remaining: dict[str, int], resets: dict[str, float], scale: float,
             now: float) -> dict[str, str]:
    """The vendor's rate-limit headers for the counts after this request (Meta keys its usage by account)."""
    if vendor == "hubspot":
        return {"X-HubSpot-RateLimit-Max": str(HUBSPOT_BURST.requests),
                "X-HubSpot-RateLimit-Remaining": str(remaining["burst"]),
                "X-HubSpot-RateLimit-Interval-Milliseconds": str(max(1, round(HUBSPOT_BURST.seconds * 1000 / scale))),
                "X-HubSpot-RateLimit-Daily": str(HUBSPOT_DAILY.requests),
                "X-HubSpot-RateLimit-Daily-Remaining": str(remaining["daily"])}
    if vendor == "shipstation":
        return {"X-Rate-Limit-Limit": str(SHIPSTATION.requests), "X-Rate-Limit-Remaining": str(remaining["minute"]),
                "X-Rate-Limit-Reset": _seconds(resets["minute"])}
    if vendor == "docusign":
        return {"X-RateLimit-Limit": str(DOCUSIGN_HOURLY.requests), "X-RateLimit-Remaining": str(remaining["hourly"]),
                "X-RateLimit-Reset": str(math.ceil(now + resets["hourly"])),
                "X-BurstLimit-Limit": str(DOCUSIGN_BURST.requests), "X-BurstLimit-Remaining": str(remaining["burst"])}
    if vendor == "meta":
        used = round(100 * (1 - remaining["ads_insights"] / META_INSIGHTS.requests))
        regain = resets["ads_insights"] / 60 if remaining["ads_insights"] == 0 else 0
        return {"X-Business-Use-Case-Usage": json.dumps({account: [{
                    "type": "ads_insights", "call_count": used, "total_cputime": used, "total_time": used,
                    "estimated_time_to_regain_access": math.ceil(regain)}]}),
                "x-fb-ads-insights-throttle": json.dumps({"app_id_util_pct": used, "acc_id_util_pct": used,
                                                          "ads_api_access_tier": "standard_access"})}
    return {}  # Google Ads reports its quota only when it is exhausted, in the error body
