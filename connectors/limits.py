"""The vendors' documented rate limits and largest pages, and how to read their rate-limit headers.

The budget (budget.py) paces every account from what the vendor says in its headers; these
documented limits only set the pace before the first answer and for limits no header reports
(HubSpot search, Shippo's endpoints), and they are what a first sync is forecast at. Sources, each the
vendor's page:

- HubSpot: private apps on Professional/Enterprise 190 requests / 10 s (100 on Free/Starter);
  search 5 requests / s per token, 200 records a page; list endpoints 100 a page; v4 association
  batch reads 1,000 ids a request; `X-HubSpot-RateLimit-Max/Remaining/Interval-Milliseconds`
  (https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines,
  https://developers.hubspot.com/changelog/increasing-our-api-limits,
  https://developers.hubspot.com/docs/api/crm/search).
- ShipStation v2: 200 requests / minute per account; 429 with `Retry-After`;
  `X-Rate-Limit-Limit/Remaining/Reset`, Reset in seconds (https://docs.shipstation.com/rate-limits).
  `page_size` has no documented maximum on shipments and labels ("the max value varies by
  endpoint", https://docs.shipstation.com/apis/shipengine/docs/reference/pagination); the v2
  endpoints that state one say 100, so 100 is the page relied on.
- DocuSign: 3,000 calls / hour per account from the top of the hour, 500 / 30 s bursts;
  `X-RateLimit-Remaining` with `X-RateLimit-Reset` an epoch time, `X-BurstLimit-Remaining`
  (https://developers.docusign.com/platform/resource-limits); listStatusChanges `count` up to 100.
- Meta: business-use-case usage as percentages in `X-Business-Use-Case-Usage` and
  `x-fb-ads-insights-throttle` (https://developers.facebook.com/docs/graph-api/overview/rate-limiting/,
  https://developers.facebook.com/docs/marketing-api/insights/best-practices/): no fixed pace, the
  budget holds the account when usage nears 100%.
- Google Ads: a daily operations quota by access level, reported only when exhausted
  (RESOURCE_EXHAUSTED with `retryDelay`, https://developers.google.com/google-ads/api/docs/best-practices/quotas):
  no pace; `searchStream` returns all rows of a query in one response.
- Shippo: per endpoint and verb, per minute, no account-wide limit: live keys GET of a list
  (shipments, transactions) 50, GET of one track 500; test keys (`shippo_test_...`) 10 and 50; a 429
  past it, and no rate-limit headers (https://docs.goshippo.com/docs/API_Concepts/RateLimits). Each
  endpoint is paced on a budget of its own (`ENDPOINTS`), so tracking is not held to the lists' pace;
  orders are not in the page's table and are paced as a list. Lists hold up to 100 records (the
  spec's `results` maximum).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from fnmatch import fnmatchcase
from dataclasses import dataclass
from pathlib import Path

import orjson

from connectors.landing import csv_records, landed_segments


@dataclass(frozen=True)
class Rate:
    """`requests` per `seconds` of vendor time."""

    requests: int
    seconds: float

    def interval(self, time_scale: float = 1.0) -> float:
        """Real seconds between requests at this rate, with `time_scale` vendor seconds per real second."""
        return self.seconds / self.requests / time_scale


# The steady pace of each account (the tightest documented limit over a long run).
ACCOUNT_RATES: dict[str, Rate] = {
    "hubspot": Rate(190, 10.0),
    "shipstation": Rate(200, 60.0),
    "docusign": Rate(3000, 3600.0),
}


@dataclass(frozen=True)
class Endpoint:
    """A kind of request with a limit of its own, on top of the account's: the requests whose path under
    the base URL matches `pattern` (fnmatch) share one budget named `name`."""

    name: str
    pattern: str
    rate: Rate
    test_rate: Rate | None = None  # the limit for a vendor's test keys, when it documents a lower one

    def matches(self, path: str) -> bool:
        return fnmatchcase(path, self.pattern)


ENDPOINTS: dict[str, tuple[Endpoint, ...]] = {
    "hubspot": (Endpoint("search", "*/search", Rate(5, 1.0)),),  # CRM search, per token
    "shippo": tuple(Endpoint(name, f"/{name}", Rate(50, 60.0), Rate(10, 60.0))
                    for name in ("orders", "shipments", "transactions"))
              + (Endpoint("tracks", "/tracks/*", Rate(500, 60.0), Rate(50, 60.0)),),
}
TEST_KEY_PREFIXES = {"shippo": "shippo_test_"}  # a key in test mode, with the test limits
DOCUSIGN_BURST_SECONDS = 30.0


def endpoint_rates(system: str, secrets: tuple[str, ...]) -> list[tuple[Endpoint, Rate]]:
    """The endpoints of `system` with a limit of their own and each one's rate for these credentials."""
    prefix = TEST_KEY_PREFIXES.get(system)
    test = prefix is not None and any(secret.startswith(prefix) for secret in secrets)
    return [(e, e.test_rate if test and e.test_rate else e.rate) for e in ENDPOINTS.get(system, ())]

# The largest page (records a request) each stream can ask for: its floor is records / this.
LARGEST_PAGE: dict[str, int] = {
    "hubspot__contacts": 100, "hubspot__companies": 100, "hubspot__deals": 100, "hubspot__line_items": 100,
    "hubspot__associations": 1000,
    "docusign__envelopes": 100,
    "shipstation__shipments": 100, "shipstation__labels": 100,
    "shipstation__tracking": 1,  # one `/v2/labels/{id}/track` per label: there is no batch read
    "shippo__orders": 100, "shippo__shipments": 100, "shippo__transactions": 100,
    "shippo__tracking": 1,  # one `/tracks/{carrier}/{tracking_number}` per label
    # a SOQL query page holds up to 2,000 records (batchSize 200..2,000, the default 2,000:
    # https://developer.salesforce.com/docs/platform/api-rest/guide/resources-query.html)
    **{f"salesforce__{stream}": 2000 for stream in ("leads", "contacts", "accounts", "opportunities",
                                                    "opportunity_line_items", "opportunity_contact_roles", "campaigns")},
}
# Streams that call more than one endpoint, each with its own largest page: HubSpot objects list
# the live objects (or search those modified, 200 a page) and, every run, the archived ones;
# associations read each association type with its own batch request (the v4 batch read takes one
# from/to pair: https://developers.hubspot.com/docs/api-reference/crm-associations-v4/guide).
ENDPOINT_PAGE = {"list": 100, "search": 200, "archived": 100}
# A landed CSV page of a JSON stream is a Salesforce Bulk API 2.0 result set: one request each, of up
# to the maxRecords the connector asks (connectors/systems/salesforce.py; as many as the job gives:
# https://developer.salesforce.com/docs/platform/api-asynch/guide/query-get-job-results.html).
BULK_ENDPOINT = "bulk"
BULK_RECORDS = 50_000

# A vendor's count is a little behind requests already under way (ours in other threads and
# processes): hold the account while this few remain, rather than meet the 429.
REMAINING_MARGIN = 3
USAGE_HOLD_PERCENT = 90.0


@dataclass(frozen=True)
class Quota:
    """What one answer says about the account's budget: requests left and real seconds until they refill."""

    remaining: int
    reset_seconds: float


def header_quotas(system: str, headers: Mapping[str, str], now: float, time_scale: float = 1.0) -> list[Quota]:
    """The quotas a vendor's rate-limit headers report (none when it sends none we know).

    `now` is the Unix time, for DocuSign's epoch reset; `time_scale` turns documented windows that
    no header states (DocuSign's 30 s burst) into real seconds.
    """
    quotas: list[Quota] = []
    if system == "hubspot":
        remaining = _number(headers.get("x-hubspot-ratelimit-remaining"))
        interval_ms = _number(headers.get("x-hubspot-ratelimit-interval-milliseconds"))
        if remaining is not None and interval_ms is not None:
            quotas.append(Quota(int(remaining), interval_ms / 1000.0))
    elif system == "shipstation":
        remaining = _number(headers.get("x-rate-limit-remaining"))
        reset = _number(headers.get("x-rate-limit-reset"))
        if remaining is not None and reset is not None:
            quotas.append(Quota(int(remaining), max(reset, 0.0)))
    elif system == "docusign":
        remaining = _number(headers.get("x-ratelimit-remaining"))
        reset = _number(headers.get("x-ratelimit-reset"))
        if remaining is not None and reset is not None:
            quotas.append(Quota(int(remaining), max(reset - now, 0.0)))
        burst = _number(headers.get("x-burstlimit-remaining"))
        if burst is not None:
            quotas.append(Quota(int(burst), DOCUSIGN_BURST_SECONDS / time_scale))
    return quotas


def usage_hold_seconds(system: str, headers: Mapping[str, str]) -> float | None:
    """Seconds to hold a Meta account whose reported usage reached USAGE_HOLD_PERCENT, else None."""
    if system != "meta":
        return None
    usage: list[float] = []
    regain: list[float] = []
    for name in ("x-business-use-case-usage", "x-fb-ads-insights-throttle"):
        for entry in _usage_entries(headers.get(name)):
            usage += [v for k in ("call_count", "total_cputime", "total_time", "app_id_util_pct", "acc_id_util_pct")
                      if (v := _number(entry.get(k))) is not None]
            if (minutes := _number(entry.get("estimated_time_to_regain_access"))) is not None:
                regain.append(minutes * 60.0)
    if not usage or max(usage) < USAGE_HOLD_PERCENT:
        return None
    return max(regain, default=0.0)


def _usage_entries(value: str | None) -> list[dict]:
    """The usage objects of a Meta header: `{id: [{...}]}` or a single `{...}`."""
    if not value:
        return []
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        return []
    if not isinstance(parsed, dict):
        return []
    if not all(isinstance(v, list) for v in parsed.values()):
        return [parsed]
    return [e for entries in parsed.values() for e in entries if isinstance(e, dict)]


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def request_floor(stream: str, records: int, landed: Path | None = None) -> int | None:
    """The fewest requests that could bring `records` of `stream` (None when no page size applies).

    With the stream's landing folder (`landed`), per endpoint it called (a CSV page is a Bulk result
    set): each endpoint's records over its largest page, at least one request each, since an empty list must still be asked to be
    known empty (HubSpot's archived list, a search finding nothing). Without it: records over the
    stream's largest page, a floor for one endpoint.
    """
    page = LARGEST_PAGE.get(stream)
    if not page:
        return None
    if landed is None:
        return math.ceil(records / page)

    per_endpoint: Counter[tuple[str, str]] = Counter()
    for segment in landed_segments(landed, None):
        if segment.suffix == ".csv":
            per_endpoint[(segment.parent.name, BULK_ENDPOINT)] += csv_records(segment.read_bytes())
            continue
        with open(segment, "rb") as pages:
            for line in pages:
                if not line.strip():
                    continue
                try:
                    body = orjson.loads(line)
                except orjson.JSONDecodeError:  # a damaged page: quarantined by the load, no records here
                    continue
                endpoint, count = _endpoint(stream, body)
                per_endpoint[(segment.parent.name, endpoint)] += count
    pages = {**ENDPOINT_PAGE, BULK_ENDPOINT: BULK_RECORDS}
    return sum(max(1, math.ceil(n / pages.get(endpoint, page))) for (_, endpoint), n in per_endpoint.items())


def _endpoint(stream: str, page: object) -> tuple[str, int]:
    """Which endpoint a landed page came from, and its records."""
    if not isinstance(page, dict):
        return "", 1
    for key in ("results", "shipments", "labels", "envelopes", "records"):
        if isinstance(page.get(key), list):
            records = page[key]
            break
    else:
        return "", 1  # one record a page: a label's tracking
    if stream.startswith("hubspot__") and stream != "hubspot__associations":
        # search pages carry `total`; the live list's pages are never empty, the archived list's may be
        if "total" in page:
            return "search", len(records)
        return ("archived" if not records or records[0].get("archived") else "list"), len(records)
    return "", len(records)


def forecast_seconds(system: str, requests: int) -> float | None:
    """Vendor seconds `requests` take at the account's documented pace, or its slowest endpoint's when
    only its endpoints are limited (None: no fixed pace)."""
    rate = ACCOUNT_RATES.get(system) or max((e.rate for e in ENDPOINTS.get(system, ())), default=None,
                                            key=lambda r: r.interval())
    return requests * rate.interval() if rate else None
