"""ShipStation API v2: /v2/shipments, /v2/labels (page-numbered), /v2/labels/{id}/track and tracking webhooks."""

import math
import uuid

import anyio.to_thread
import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.apis.common import Call, Sandbox, burst_status, endpoint, json_response, raw_json
from sandbox.apis.faults import CURSOR_FAULTS
from sandbox.apis.webhooks import EVENTS
from sandbox.apis.world import SORT_EXPRESSIONS
from sandbox.credentials import SANDBOX_CREDENTIALS
from sandbox.world.timefmt import DAY, iso_ms, parse_iso

MAX_PAGE_SIZE = 500
FUTURE_YEAR = "9229"  # the year one trial against a real account found in a modified time


def error(status: int, error_type: str, code: str, message: str) -> Response:
    """A ShipStation v2 error body."""
    return json_response({"request_id": str(uuid.uuid4()), "errors": [
        {"error_source": "shipstation", "error_type": error_type, "error_code": code, "message": message}]}, status)


def check_auth(call: Call) -> Response | None:
    """The API key travels in the `API-Key` header."""
    key = call.request.headers.get("api-key")
    if key != SANDBOX_CREDENTIALS["shipstation"]["api_key"]:
        return error(401, "security", "unauthorized", "The API key is invalid. Please see "
                     "https://docs.shipstation.com/authentication for more details." if key else
                     "No API key was provided in the API-Key header.")
    return None


def fault_response(call: Call, kind: str) -> Response:
    """429 with Retry-After, or a 5xx."""
    if kind == "rate_limit":
        response = error(429, "system", "rate_limit_exceeded", "You have exceeded the rate limit. Please retry later.")
        hint = call.wait_hint("1")
        response.headers.update({"Retry-After": hint, "X-Rate-Limit-Limit": "200", "X-Rate-Limit-Remaining": "0",
                                 "X-Rate-Limit-Reset": hint})
        return response
    return error(burst_status(call), "system", "unspecified", "An unexpected error occurred. Please try again.")


def _page_rows(call: Call, resource: str, sort_by: str, direction: str, bounds: dict[str, tuple[str | None, str | None]],
               json_filters: list[tuple[str, str]], offset: int, limit: int) -> tuple[int, list[str]]:
    """(total, payloads of the page): from the cached ordering when only the sort column is filtered."""
    world = call.world
    if not json_filters and set(bounds) <= {sort_by}:
        lo, hi = bounds.get(sort_by, (None, None))
        ordering = world.ordering(resource, "", sort_by, since=lo)
        start, end = ordering.bounds(lo, hi)
        if direction == "asc":
            picked = range(start + offset, min(end, start + offset + limit))
        else:
            picked = range(end - 1 - offset, max(start - 1, end - 1 - offset - limit), -1)
        return end - start, world.payloads([ordering.rowids[i] for i in picked])
    where, params = [], []
    for column, (lo, hi) in bounds.items():
        expr = SORT_EXPRESSIONS[column]
        if lo is not None:
            where.append(f"{expr} >= ?")
            params.append(lo)
        if hi is not None:
            where.append(f"{expr} <= ?")
            params.append(hi)
    for path, value in json_filters:
        where.append(f"json_extract(payload, '{path}') = ?")
        params.append(value)
    clause = " and ".join(where)
    order = f"{SORT_EXPRESSIONS[sort_by]} {direction}, id {direction}"
    total = world.count(resource, "", clause, params)
    rows = world.query(resource, "", clause, params, order=order, limit=limit, offset=offset, columns="payload")
    return total, [r[0] for r in rows]


def _paged(call: Call, resource: str, key: str, filters: tuple[str, ...], json_params: dict[str, str]) -> Response:
    p = call.params
    try:
        page = int(p.get("page", 1))
        page_size = int(p.get("page_size", 25))
        if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page must be >= 1 and page_size in 1..{MAX_PAGE_SIZE}")
        bounds = {}
        for column in filters:
            lo, hi = p.get(f"{column}_start"), p.get(f"{column}_end")
            if lo or hi:
                bounds[column] = (iso_ms(parse_iso(lo)) if lo else None, iso_ms(parse_iso(hi)) if hi else None)
    except ValueError as exc:
        return error(400, "validation", "invalid_field_value", str(exc))
    json_filters = [(path, p[param]) for param, path in json_params.items() if p.get(param)]
    sort_by = p.get("sort_by", "created_at")
    if sort_by not in SORT_EXPRESSIONS:
        return error(400, "validation", "invalid_field_value", f"sort_by must be one of {sorted(SORT_EXPRESSIONS)}")
    direction = "asc" if p.get("sort_dir", "desc").lower() == "asc" else "desc"
    offset, limit = (page - 1) * page_size, page_size
    if page > 1 and call.page_fault():
        # A record moved while the client paged: this page starts one early, repeating the previous
        # page's last record (it still ends where it should, so nothing is lost).
        offset, limit = offset - 1, limit + 1
    total, payloads = _page_rows(call, resource, sort_by, direction, bounds, json_filters, offset, limit)
    pages = max(1, math.ceil(total / page_size))
    if page == pages and payloads and "modified_at" in filters:
        payloads[-1] = _future_modified(call, payloads[-1])
    url = call.request.url
    links = {"first": {"href": str(url.include_query_params(page=1))},
             "last": {"href": str(url.include_query_params(page=pages))},
             "prev": {"href": str(url.include_query_params(page=page - 1))} if page > 1 else {},
             "next": {"href": str(url.include_query_params(page=page + 1))} if page < pages else {}}
    head = orjson.dumps({"total": total, "page": page, "pages": pages, "links": links})
    body = b'{"' + key.encode() + b'":[' + ",".join(payloads).encode() + b"]," + head[1:]
    return raw_json(body)


def _future_modified(call: Call, payload: str) -> str:
    """The record with its modified time moved to year 9229 when the future_cursor fault is on."""
    if call.sandbox.faults.decide(call.vendor, f"cursor:{call.path}", CURSOR_FAULTS) is None:
        return payload
    record = orjson.loads(payload)
    record["modified_at"] = FUTURE_YEAR + record["modified_at"][4:]
    return orjson.dumps(record).decode()


def list_shipments(call: Call) -> Response:
    """GET /v2/shipments: filters on created/modified times and status; newest first by default."""
    return _paged(call, "shipstation/shipments", "shipments", ("modified_at", "created_at"),
                  {"shipment_status": "$.shipment_status"})


def list_labels(call: Call) -> Response:
    """GET /v2/labels: labels have no modified time in v2, only created_at filters."""
    return _paged(call, "shipstation/labels", "labels", ("created_at",),
                  {"label_status": "$.status", "shipment_id": "$.shipment_id"})


def track(call: Call) -> Response:
    """GET /v2/labels/{label_id}/track: the tracking body as of the clock.

    The track_error fault answers 404 or 400 for some labels, as the vendor does for a label whose
    carrier has no tracking for it yet (the spec lists both for this path:
    https://docs.shipstation.com/tracking, /work/shared/specs/shipstation/openapi.yaml)."""
    label_id = call.request.path_params["label_id"]
    if call.sandbox.faults.hits(call.vendor, "track_error", label_id):
        if sum(label_id.encode()) % 2:
            return error(400, "business_rules", "tracking_not_supported",
                         f"Tracking information is not available for label '{label_id}' from this carrier yet.")
        return error(404, "validation", "invalid_identifier",
                     f"The carrier has no tracking information for label '{label_id}'.")
    payload = call.world.get("shipstation/tracking", "", label_id)
    if payload is None:
        return error(404, "validation", "label_not_found", f"Label '{label_id}' was not found.")
    return raw_json(payload.encode())


def webhooks(call: Call) -> Response:
    """GET /v2/environment/webhooks lists the account's webhooks; POST creates one (sandbox/apis/webhooks.py)."""
    hub = call.sandbox.webhooks
    if call.request.method == "GET":
        return json_response(list(hub.hooks.values()))
    try:
        body = call.json_body()
        event, url = body["event"], body["url"]
        if event not in EVENTS or not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError(f"event must be one of {', '.join(EVENTS)} and url an http(s) URL")
    except (ValueError, KeyError, TypeError) as exc:
        return error(400, "validation", "invalid_field_value", f"A webhook needs an event and a url: {exc}")
    hook, conflict = hub.create(event, url, body.get("headers"))
    if hook is None:
        return error(409, "validation", "webhook_event_type_conflict", conflict or "")
    return json_response(hook)


def webhook(call: Call) -> Response:
    """GET, PUT (a new url or headers) or DELETE one webhook."""
    hub = call.sandbox.webhooks
    hook = hub.hooks.get(call.request.path_params["webhook_id"])
    if hook is None:
        return error(404, "validation", "invalid_identifier", "The webhook was not found.")
    if call.request.method == "DELETE":
        hub.hooks.pop(hook["webhook_id"], None)
        return Response(status_code=204)
    if call.request.method == "PUT":
        try:
            body = call.json_body() or {}
        except ValueError as exc:
            return error(400, "validation", "invalid_field_value", str(exc))
        hook.update({k: body[k] for k in ("url", "headers") if k in body})
        return Response(status_code=204)
    return json_response(hook)


def admin_routes(sandbox: Sandbox) -> list[Route]:
    """The signing keys (public, like ShipStation's https://api.shipengine.com/jwks) and the sandbox's
    own `POST /_admin/webhooks/dispatch`: track events for the tracking written in [since, until)."""
    hub = sandbox.webhooks

    def jwks(request: Request) -> Response:
        return json_response(hub.jwks())

    def dispatch(body: bytes, base_url: str) -> Response:
        try:
            asked = orjson.loads(body) if body else {}
            until = iso_ms(parse_iso(asked["until"])) if asked.get("until") else sandbox.world.clock
            since = (iso_ms(parse_iso(asked["since"])) if asked.get("since")
                     else hub.last_until or iso_ms(parse_iso(sandbox.world.clock) - DAY))
        except (ValueError, TypeError, AttributeError, orjson.JSONDecodeError) as exc:
            return json_response({"error": f"POST /shipstation/_admin/webhooks/dispatch takes "
                                           f"{{\"since\": ISO, \"until\": ISO}} (both optional): {exc}"}, 400)
        rows = sandbox.world.db.execute(
            "select id, payload from records where resource = 'shipstation/tracking' and scope = '' "
            "and modified_at >= ? and modified_at < ? order by modified_at, id", [since, until]).fetchall()
        counts = hub.send([(label_id, payload.encode()) for label_id, payload in rows], base_url + "/shipstation")
        hub.last_until = until
        return json_response({**counts, "since": since, "until": until})

    async def dispatch_off_loop(request: Request) -> Response:
        # POSTing to the receivers blocks: off the event loop, so the API keeps answering meanwhile
        return await anyio.to_thread.run_sync(dispatch, await request.body(), f"{request.url.scheme}://{request.url.netloc}")

    return [Route("/jwks", jwks), Route("/_admin/webhooks/dispatch", dispatch_off_loop, methods=["POST"])]


def routes(sandbox: Sandbox) -> list[Route]:
    """The ShipStation routes (mounted under /shipstation)."""
    def ep(path: str, handler, methods: tuple[str, ...] = ("GET",)) -> Route:  # noqa: ANN001
        return endpoint(sandbox, "shipstation", path, list(methods), handler, check_auth, fault_response)
    return [ep("/v2/shipments", list_shipments), ep("/v2/labels", list_labels),
            ep("/v2/labels/{label_id}/track", track),
            ep("/v2/environment/webhooks", webhooks, ("GET", "POST")),
            ep("/v2/environment/webhooks/{webhook_id}", webhook, ("GET", "PUT", "DELETE")),
            *admin_routes(sandbox)]
