"""What every vendor endpoint shares: request counting, fault injection, auth checks, JSON bodies."""

import asyncio
import math
import threading
from datetime import date
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.apis.oauth import TokenAuthority
from sandbox.apis.faults import BODY_FAULTS, LINK_FAULTS, PAGE_FAULTS, RECORD_FAULTS, REQUEST_FAULTS, FaultPlan
from sandbox.apis.limits import Limiter
from sandbox.apis.webhooks import WebhookHub
from sandbox.apis.world import World

JSON = "application/json"
# Meta's insights refuse a call with more rows than this ("reduce the amount of data"): low enough
# that a first load of a year meets it, so the connector's halving runs by default.
META_MAX_ROWS = 2000


@dataclass
class Sandbox:
    """State shared by all endpoints: the world at the clock, faults, counters."""

    world: World
    faults: FaultPlan
    slow_seconds: float = 2.0
    retry_after: str | None = None  # when set, every throttling answer asks for this wait (hostile values too)
    version_date: date | None = None  # the date API versions are judged by (None: today, UTC)
    meta_max_rows: int = META_MAX_ROWS  # Meta answers "reduce the amount of data" above this many rows per call (0: never)
    tokens: TokenAuthority = field(default_factory=TokenAuthority)  # short-lived tokens from the token endpoints
    search_lag_seconds: int | None = None  # the most HubSpot's search index starts behind writes (None: its default)
    limits: Limiter = field(default_factory=Limiter)  # the vendors' documented rate limits (sandbox/apis/limits.py)
    webhooks: WebhookHub = field(default_factory=WebhookHub)  # ShipStation's tracking webhooks (sandbox/apis/webhooks.py)
    stats: Counter = field(default_factory=Counter)  # (vendor, concrete path) -> requests
    calls: Counter = field(default_factory=Counter)  # (vendor, route template) -> requests
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, vendor: str, template: str, path: str) -> None:
        """Count one request (GET /_admin/stats shows them per concrete path)."""
        with self._lock:
            self.stats[(vendor, path)] += 1
            self.calls[(vendor, template)] += 1


@dataclass
class Call:
    """One request as a handler sees it."""

    request: Request
    sandbox: Sandbox
    vendor: str
    path: str
    body: bytes
    throttle_wait: float | None = None  # real seconds to the end of the rate-limit window this request overran

    @property
    def world(self) -> World:
        """The world at the current clock."""
        return self.sandbox.world

    @property
    def params(self) -> Any:
        """Query parameters."""
        return self.request.query_params

    def page_fault(self) -> bool:
        """Whether this page repeats the previous page's last record ('duplicate' or 'shift' is on)."""
        return self.sandbox.faults.decide(self.vendor, f"page:{self.path}", PAGE_FAULTS) is not None

    def hostile_link(self) -> str | None:
        """Which hostile next link or cursor this page hands out (faults.LINK_FAULTS), or None."""
        return self.sandbox.faults.decide(self.vendor, f"link:{self.path}", LINK_FAULTS)

    def wait_hint(self, default: str) -> str:
        """The wait a throttling answer asks for, in seconds: `--retry-after` when set, else the time to the
        end of the rate-limit window overrun, else `default`."""
        if self.sandbox.retry_after is not None:
            return self.sandbox.retry_after
        return default if self.throttle_wait is None else str(max(1, math.ceil(self.throttle_wait)))

    def json_body(self) -> Any:
        """The request body as JSON (None when empty); ValueError when it does not parse."""
        return orjson.loads(self.body) if self.body else None


def burst_status(call: "Call") -> int:
    """500, 502 or 503, varying with the request count so a burst shows each."""
    return (500, 502, 503)[call.sandbox.calls[(call.vendor, call.path)] % 3]


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response serialised with orjson."""
    return Response(orjson.dumps(payload), status, headers, media_type=JSON)


def raw_json(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A response whose JSON body is already bytes (assembled from stored payload strings)."""
    return Response(body, status, headers, media_type=JSON)


Handler = Callable[[Call], Response]
AuthCheck = Callable[[Call], Response | None]
FaultResponse = Callable[[Call, str], Response]


class DroppedConnection(ConnectionAbortedError):
    """Raised on purpose by the 'drop' fault so the server cuts the connection mid-body."""


class _Dropped(Response):
    """Declares a full body, sends half of it and ends: the client sees the connection cut."""

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001 - ASGI signature
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": self.body[: len(self.body) // 2], "more_body": True})
        raise DroppedConnection("sandbox fault: connection dropped mid-body")


# The records key of each vendor's list pages, and the record's own id in them (a label also
# names its shipment: the fault must drop `label_id`, not the first id-like key it meets).
RECORDS_KEYS = ("results", "data", "envelopes", "shipments", "labels", "records")
# The id field(s) of a page's records under each records key: HubSpot's `results` hold `id`, Shippo's `object_id`.
RECORD_ID = {"results": ("id", "object_id"), "envelopes": ("envelopeId",), "shipments": ("shipment_id",),
             "labels": ("label_id",), "records": ("Id",)}


def _without_records_key(body: bytes) -> bytes:
    """The page without its records key; an ECB CSV page without its header line."""
    if not body.lstrip().startswith(b"{"):
        return body.split(b"\n", 1)[1] if b"\n" in body else b""
    page = orjson.loads(body)
    for key in RECORDS_KEYS:
        if key in page:
            del page[key]
            break
    return orjson.dumps(page)


def _without_first_id(body: bytes) -> bytes:
    """The page with the id of its first record removed (the record itself stays)."""
    if not body.lstrip().startswith(b"{"):
        return body
    page = orjson.loads(body)
    key = next((k for k in RECORDS_KEYS if isinstance(page.get(k), list) and page[k]), None)
    first = page[key][0] if key in RECORD_ID else None
    if isinstance(first, dict):
        first.pop(next((name for name in RECORD_ID[key] if name in first), RECORD_ID[key][0]), None)
    return orjson.dumps(page)


def _damage(response: Response, kind: str) -> Response:
    body = bytes(response.body)
    if kind == "truncated":
        damaged = body[: max(1, len(body) // 2)]
    elif kind == "missing_key":
        damaged = _without_records_key(body)
    elif kind == "missing_id":
        damaged = _without_first_id(body)
    else:
        damaged = b'{"results": [{"id": "1", "properties": {NaN, ' + body[:20]
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    return Response(damaged, response.status_code, headers, media_type=response.media_type or JSON)


def endpoint(sandbox: Sandbox, vendor: str, path: str, methods: list[str], handler: Handler,
             auth: AuthCheck, fault_response: FaultResponse) -> Route:
    """A route that counts, checks auth in the vendor's shape, injects faults and runs `handler`."""

    # Stats count per concrete path (e.g. /crm/v3/objects/contacts), except per-record paths, which
    # count under their template so the table stays small.
    per_record = "{label_id}" in path or "{tracking_number}" in path

    async def run(request: Request) -> Response:
        sandbox.count(vendor, path, path if per_record else "/" + request.url.path.split("/", 2)[2])
        denied = sandbox.tokens.admit(vendor, request)  # an issued token stands for the static one, or is expired
        if denied is not None:
            return denied
        call = Call(request, sandbox, vendor, path, await request.body())
        denied = auth(call)
        if denied is not None:
            return denied
        limited = sandbox.limits.admit(vendor, path, request)
        if limited.refused is not None:
            call.throttle_wait = limited.wait_seconds
            refusal = fault_response(call, "rate_limit")
            refusal.headers.update(limited.headers)
            return refusal
        fault = sandbox.faults.decide(vendor, path, REQUEST_FAULTS + BODY_FAULTS)
        if fault == "slow":
            await asyncio.sleep(sandbox.slow_seconds)
        elif fault in ("rate_limit", "5xx"):
            return fault_response(call, fault)
        response = handler(call)  # inline: handlers take well under a millisecond, a thread hop costs more
        response.headers.update(limited.headers)
        if fault is None and response.status_code == 200:
            fault = sandbox.faults.decide(vendor, f"record:{path}", RECORD_FAULTS)
        if fault in BODY_FAULTS + RECORD_FAULTS and response.status_code == 200:
            return _damage(response, fault)
        if fault == "drop":
            return _Dropped(bytes(response.body), response.status_code, dict(response.headers))
        return response

    return Route(path, run, methods=methods)
