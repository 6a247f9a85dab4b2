"""Google Ads REST: POST /vNN/customers/{id}/googleAds:searchStream with a GAQL subset."""

import re
import secrets
from datetime import date, timedelta

import orjson
from starlette.responses import Response
from starlette.routing import Route

from sandbox.apis import versions
from sandbox.apis.common import Call, Sandbox, endpoint, json_response
from sandbox.credentials import GOOGLE_ADS_CUSTOMERS, SANDBOX_CREDENTIALS

BATCH_ROWS = 10_000
QUERY = re.compile(r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<resource>\w+)(?:\s+WHERE\s+(?P<where>.+?))?"
                   r"(?:\s+ORDER\s+BY\s+(?P<order>.+?))?(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$", re.I | re.S)
BETWEEN = re.compile(r"segments\.date\s+BETWEEN\s+'(\d{4}-\d{2}-\d{2})'\s+AND\s+'(\d{4}-\d{2}-\d{2})'", re.I)
COMPARE = re.compile(r"segments\.date\s*(>=|<=|>|<|=)\s*'(\d{4}-\d{2}-\d{2})'", re.I)
IGNORED = re.compile(r"campaign\.status\s*(!=|=|IN)\s*.+", re.I)  # every sandbox campaign is ENABLED
RESOURCES = ("customer", "campaign", "segments", "metrics")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w.title() for w in rest)


def error(status: int, state: str, message: str, code: dict | None = None) -> Response:
    """A Google API error body, with GoogleAdsFailure details when there is an error code."""
    body: dict = {"error": {"code": status, "message": message, "status": state}}
    if code:
        body["error"]["details"] = [{"@type": "type.googleapis.com/google.ads.googleads.v21.errors.GoogleAdsFailure",
                                     "errors": [{"errorCode": code, "message": message}],
                                     "requestId": secrets.token_urlsafe(16)}]
    return json_response(body, status)


def check_auth(call: Call) -> Response | None:
    """OAuth bearer token plus the developer-token header; the customer must be one of ours."""
    creds = SANDBOX_CREDENTIALS["google_ads"]
    if call.request.headers.get("authorization") != f"Bearer {creds['access_token']}":
        return error(401, "UNAUTHENTICATED", "Request is missing required authentication credential. Expected OAuth 2 "
                     "access token, login cookie or other valid authentication credential.",
                     {"authenticationError": "OAUTH_TOKEN_INVALID"})
    token = call.request.headers.get("developer-token")
    if not token:
        return error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.",
                     {"authenticationError": "DEVELOPER_TOKEN_PARAMETER_MISSING"})
    if token != creds["developer_token"]:
        return error(401, "UNAUTHENTICATED", "The developer token is not valid.",
                     {"authenticationError": "DEVELOPER_TOKEN_INVALID"})
    if call.request.path_params["customer"] not in GOOGLE_ADS_CUSTOMERS:
        return error(403, "PERMISSION_DENIED", "The caller does not have permission",
                     {"authorizationError": "USER_PERMISSION_DENIED"})
    return None


def fault_response(call: Call, kind: str) -> Response:
    """429 RESOURCE_EXHAUSTED with a retry delay, or a 503 UNAVAILABLE."""
    if kind == "rate_limit":
        # The wait is in the body, not a header: a google.rpc.RetryInfo detail
        # (https://cloud.google.com/apis/design/errors#error_payloads) and the GoogleAdsFailure's
        # quotaErrorDetails.retryDelay (https://developers.google.com/google-ads/api/reference/rpc/latest/QuotaErrorDetails).
        delay = f"{call.wait_hint('1')}s"
        body = {"error": {"code": 429, "message": "Too many requests. Retry in 1 seconds.", "status": "RESOURCE_EXHAUSTED",
                          "details": [{"@type": "type.googleapis.com/google.ads.googleads.v21.errors.GoogleAdsFailure",
                                       "errors": [{"errorCode": {"quotaError": "RESOURCE_TEMPORARILY_EXHAUSTED"},
                                                   "message": "Too many requests.",
                                                   "details": {"quotaErrorDetails": {"rateScope": "ACCOUNT",
                                                                                     "rateName": "Requests per account",
                                                                                     "retryDelay": delay}}}],
                                       "requestId": secrets.token_urlsafe(16)},
                                      {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}]}}
        return json_response(body, 429)
    return error(503, "UNAVAILABLE", "The service is currently unavailable.")


def _date_range(where: str | None) -> tuple[str, str] | str:
    if not where:
        return "a segments.date filter (BETWEEN or >= and <=) is required when segments.date is selected"
    lo, hi = "0000-01-01", "9999-12-31"
    rest = where
    for m in BETWEEN.finditer(where):
        lo, hi = max(lo, m.group(1)), min(hi, m.group(2))
    rest = BETWEEN.sub("", rest)
    for m in COMPARE.finditer(rest):
        op, value = m.group(1), m.group(2)
        if op in (">=", "="):
            lo = max(lo, value)
        if op in ("<=", "="):
            hi = min(hi, value)
        if op == ">":
            lo = max(lo, (date.fromisoformat(value) + timedelta(days=1)).isoformat())
        if op == "<":
            hi = min(hi, (date.fromisoformat(value) - timedelta(days=1)).isoformat())
    leftover = [c.strip() for c in re.split(r"\bAND\b", COMPARE.sub("", rest), flags=re.I) if c.strip()]
    bad = [c for c in leftover if not IGNORED.match(c)]
    if bad:
        return f"sandbox GAQL supports segments.date and campaign.status conditions, not {bad[0]!r}"
    return lo, hi


def search_stream(call: Call) -> Response:
    """Campaign-day rows for the GAQL date range, as one JSON array of result batches."""
    try:
        query = (call.json_body() or {}).get("query", "")
    except ValueError:
        return error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
    m = QUERY.match(query or "")
    if not m or m.group("resource").lower() != "campaign":
        return error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.",
                     {"queryError": "UNEXPECTED_INPUT" if m else "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE"})
    fields = [f.strip() for f in m.group("fields").split(",") if f.strip()]
    if any(f.split(".")[0] not in RESOURCES or f.count(".") != 1 for f in fields):
        return error(400, "INVALID_ARGUMENT", f"Unrecognized fields in the query: {fields}",
                     {"queryError": "UNRECOGNIZED_FIELD"})
    rng = _date_range(m.group("where"))
    if isinstance(rng, str):
        return error(400, "INVALID_ARGUMENT", rng, {"queryError": "EXPECTED_FILTERS_ON_DATE_RANGE"})
    rows = call.world.query("google_ads/campaign_days", call.request.path_params["customer"],
                            "event_date between ? and ?", list(rng), order="event_date, id", columns="payload")
    if m.group("limit"):
        rows = rows[: int(m.group("limit"))]
    picked = [(f.split(".")[0], _camel(f.split(".")[1])) for f in fields]
    results = []
    for (payload,) in rows:
        full = orjson.loads(payload)
        out: dict = {}
        for res, name in picked:
            part = out.setdefault(res, {})
            if "resourceName" in full[res]:
                part["resourceName"] = full[res]["resourceName"]
            if name in full[res]:
                part[name] = full[res][name]
        results.append(out)
    mask = ",".join(f"{r}.{n}" for r, n in picked)
    request_id = secrets.token_urlsafe(16)
    batches = [{"results": results[i:i + BATCH_ROWS], "fieldMask": mask, "requestId": request_id}
               for i in range(0, len(results), BATCH_ROWS)] or [{"fieldMask": mask, "requestId": request_id}]
    return json_response(batches)


def routes(sandbox: Sandbox) -> list[Route]:
    """The Google Ads route (mounted under /google-ads); a version the calendar does not list as live is refused."""
    return [endpoint(sandbox, "google_ads", "/{version}/customers/{customer}/googleAds:searchStream", ["POST"],
                     search_stream, lambda call: versions.refuse(call, "google_ads") or check_auth(call), fault_response)]
