"""Shippo (API version 2018-02-08): /orders, /shipments, /transactions (page-numbered, newest first,
`next`/`previous` URLs) and GET /tracks/{carrier}/{tracking_number}.

What each behaviour follows, on Shippo's own pages:
- `Authorization: ShippoToken <token>`, live (`shippo_live_`) or test (`shippo_test_`) keys; a missing or
  unknown token is a 401 `{"detail": ...}` (https://docs.goshippo.com/docs/guides_general/authentication/).
- Paging: `results` per page (25 by default; above 200 the page is cut to 200), `page`, and `next` /
  `previous` links, null at the ends (the spec types them as non-null strings; the live API sends null:
  /work/shared/specs/SOURCES.md). The page value in those links "may not necessarily be an integer":
  clients follow them as they come (https://docs.goshippo.com/docs/api_concepts/filtering).
- Date filters `object_created_gt/gte/lt/lte` exist only on /shipments, over at most 90 days (same page).
- Errors: 400 bad request, 401, 404, 429 rate limited, 5xx (https://docs.goshippo.com/docs/api_concepts/apihttpstatuscodes).
- Rate limits per endpoint, live / test (sandbox/apis/limits.py).
"""

import math
from urllib.parse import unquote

import orjson
from starlette.responses import Response
from starlette.routing import Route

from sandbox.apis.common import Call, Sandbox, burst_status, endpoint, json_response, raw_json
from sandbox.credentials import SANDBOX_CREDENTIALS
from sandbox.world.timefmt import DAY, iso_ms, parse_iso

API_VERSION = "2018-02-08"
DEFAULT_RESULTS = 25
MAX_RESULTS = 200  # "A results query string parameter greater than 200 will cause your results to be truncated"
MAX_RANGE_DAYS = 90
CREATED_FILTERS = {"object_created_gt": ">", "object_created_gte": ">=", "object_created_lt": "<",
                   "object_created_lte": "<="}
TEST_PREFIX = "shippo_test_"


def error(status: int, detail: str) -> Response:
    """A Shippo error body."""
    return json_response({"detail": detail}, status)


def accepted_token(token: str) -> bool:
    """The sandbox's key, in live mode or test mode (the same key after either prefix)."""
    live = SANDBOX_CREDENTIALS["shippo"]["api_token"]
    return token in (live, TEST_PREFIX + live.removeprefix("shippo_live_"))


def check_auth(call: Call) -> Response | None:
    """The token travels as `Authorization: ShippoToken <token>`."""
    header = call.request.headers.get("authorization", "")
    if not header:
        return error(401, "Authentication credentials were not provided.")
    scheme, _, token = header.partition(" ")
    if scheme != "ShippoToken" or not accepted_token(token.strip()):
        return error(401, "Token does not exist")
    return None


def fault_response(call: Call, kind: str) -> Response:
    """429 (Shippo's page documents the status only: no rate-limit headers are sent), or a 5xx."""
    if kind == "rate_limit":
        return error(429, "Request was throttled. You have made too many requests to the Shippo API.")
    return error(burst_status(call), "Something has gone wrong with the Shippo server.")


def _created_bounds(call: Call) -> tuple[list[str], list[str]] | Response:
    """SQL conditions on object_created (the store's event_date) from the date filters, at most 90 days apart."""
    where, params, lows, highs = [], [], [], []
    for name, op in CREATED_FILTERS.items():
        value = call.params.get(name)
        if not value:
            continue
        try:
            t = parse_iso(value)
        except ValueError:
            return error(400, f"{name}: '{value}' is not an ISO 8601 UTC date or date time.")
        where.append(f"event_date {op} ?")
        params.append(iso_ms(t))
        (lows if op.startswith(">") else highs).append(t)
    if lows and highs and max(highs) - min(lows) > MAX_RANGE_DAYS * DAY:
        return error(400, f"The date range may span at most {MAX_RANGE_DAYS} days.")
    return where, params


def _paged(call: Call, resource: str, filtered: bool = False) -> Response:
    """One page of `resource`, newest first (object_created, then id), with `next`/`previous` links."""
    try:
        page = int(call.params.get("page", 1))
        results = min(int(call.params.get("results", DEFAULT_RESULTS)), MAX_RESULTS)
        if page < 1 or results < 1:
            raise ValueError
    except ValueError:
        return error(400, "page and results must be positive integers.")
    where: list[str] = []
    params: list[str] = []
    if filtered:
        bounds = _created_bounds(call)
        if isinstance(bounds, Response):
            return bounds
        where, params = bounds
    clause = " and ".join(where)
    offset, limit = (page - 1) * results, results
    if page > 1 and call.page_fault():
        offset, limit = offset - 1, limit + 1  # the page starts one early: a record repeats, none is lost
    total = call.world.count(resource, "", clause, params)
    rows = call.world.query(resource, "", clause, params, order="event_date desc, id desc", limit=limit,
                            offset=offset, columns="payload")
    pages = max(1, math.ceil(total / results))
    url = call.request.url
    head = orjson.dumps({
        "next": str(url.include_query_params(page=page + 1, results=results)) if page < pages else None,
        "previous": str(url.include_query_params(page=page - 1, results=results)) if page > 1 else None,
    })
    return raw_json(head[:-1] + b',"results":[' + ",".join(r[0] for r in rows).encode() + b"]}")


def list_orders(call: Call) -> Response:
    """GET /orders: every order, newest first; no date filter (Shippo has none here)."""
    return _paged(call, "shippo/orders")


def list_shipments(call: Call) -> Response:
    """GET /shipments: newest first, filtered by object_created."""
    return _paged(call, "shippo/shipments", filtered=True)


def list_transactions(call: Call) -> Response:
    """GET /transactions: every label, newest first; no date filter."""
    return _paged(call, "shippo/transactions")


def track(call: Call) -> Response:
    """GET /tracks/{carrier}/{tracking_number}: the track as of the clock.

    The track_error fault answers 400 for some tracking numbers, as Shippo answers a number the carrier
    does not know (the spec's only error for this path is 400 badRequestResponse)."""
    carrier = call.request.path_params["carrier"]
    number = unquote(call.request.path_params["tracking_number"])
    if call.sandbox.faults.hits(call.vendor, "track_error", number):
        return error(400, f"The tracking number '{number}' is not recognised by carrier '{carrier}' yet.")
    payload = call.world.get("shippo/tracks", "", f"{carrier}/{number}")
    if payload is None:
        return error(404, "Not found.")
    return raw_json(payload.encode())


def routes(sandbox: Sandbox) -> list[Route]:
    """The Shippo routes (mounted under /shippo); a trailing slash is accepted as the vendor writes it."""
    def ep(path: str, handler) -> list[Route]:  # noqa: ANN001
        return [endpoint(sandbox, "shippo", p, ["GET"], handler, check_auth, fault_response)
                for p in (path, path + "/")]
    return [*ep("/orders", list_orders), *ep("/shipments", list_shipments), *ep("/transactions", list_transactions),
            *ep("/tracks/{carrier}/{tracking_number}", track)]
