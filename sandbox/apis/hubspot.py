"""HubSpot CRM v3 objects (list, search) and v4 association batch reads."""

import threading
import time
import uuid
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timezone

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.apis.common import Call, Sandbox, burst_status, endpoint, json_response
from sandbox.apis.world import Ordering, World
from sandbox.credentials import SANDBOX_CREDENTIALS
from sandbox.world.payloads import ARCHIVED, MERGED

OBJECT_TYPES = {"contacts": "contacts", "0-1": "contacts", "companies": "companies", "0-2": "companies",
                "deals": "deals", "0-3": "deals", "line_items": "line_items", "0-8": "line_items"}
MODIFIED = {"contacts": "lastmodifieddate"}  # every other type uses hs_lastmodifieddate
DEFAULT_PROPERTIES = {
    "contacts": ["createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"],
    "companies": ["createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"],
    "deals": ["amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate",
              "hs_object_id", "pipeline"],
    "line_items": ["createdate", "hs_lastmodifieddate", "hs_object_id", "name", "price", "quantity"],
}
ASSOCIATION_TYPES = {  # v4 association types from deals, as HubSpot labels them
    "contacts": [{"category": "HUBSPOT_DEFINED", "typeId": 3, "label": None}],
    "companies": [{"category": "HUBSPOT_DEFINED", "typeId": 5, "label": "Primary"},
                  {"category": "HUBSPOT_DEFINED", "typeId": 341, "label": None}],
    "line_items": [{"category": "HUBSPOT_DEFINED", "typeId": 19, "label": None}],
}
SEARCH_CAP = 10_000
# HubSpot's search index lags behind writes: a change shows in search only after a while (CRM
# search is eventually consistent; HubSpot's own staff on async processing:
# https://integrate.hubspot.com/t/contacts-batch-operation-is-async/6209 ; integrators measure
# seconds, e.g. https://blog.sequin.io/building-a-sync-on-hubspots-api/ "The Search API is
# eventually consistent"). The sandbox exaggerates it so a nightly boundary meets it: each record
# version reaches the index a deterministic 0..DEFAULT_SEARCH_LAG_SECONDS after it was written.
# Lists and v4 association reads are not lagged. Switch: POST /hubspot/_admin/search-lag.
DEFAULT_SEARCH_LAG_SECONDS = 600
OPERATORS = {"GT": ">", "GTE": ">=", "LT": "<", "LTE": "<=", "EQ": "=", "NEQ": "!="}


def error(status: int, category: str, message: str, **extra: object) -> Response:
    """A HubSpot error body."""
    return json_response({"status": "error", "message": message, "correlationId": str(uuid.uuid4()),
                          "category": category, **extra}, status)


def check_auth(call: Call) -> Response | None:
    """Private-app tokens arrive as `Authorization: Bearer`."""
    header = call.request.headers.get("authorization", "")
    if not header:
        return error(401, "INVALID_AUTHENTICATION", "Authentication credentials not found. This API supports "
                     "OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/"
                     "docs/methods/auth/oauth-overview")
    if header != f"Bearer {SANDBOX_CREDENTIALS['hubspot']['token']}":
        return error(401, "INVALID_AUTHENTICATION", "The OAuth token used to make this call expired or is invalid.")
    return None


def fault_response(call: Call, kind: str) -> Response:
    """429 with the X-HubSpot-RateLimit-* headers, or a 5xx burst."""
    if kind == "rate_limit":
        response = error(429, "RATE_LIMITS", "You have reached your secondly limit.", errorType="RATE_LIMIT",
                         policyName="SECONDLY")
        response.headers.update({"X-HubSpot-RateLimit-Daily": "500000", "X-HubSpot-RateLimit-Daily-Remaining": "499000",
                                 "X-HubSpot-RateLimit-Interval-Milliseconds": "1000", "X-HubSpot-RateLimit-Max": "190",
                                 "X-HubSpot-RateLimit-Remaining": "0", "X-HubSpot-RateLimit-Secondly": "19",
                                 "X-HubSpot-RateLimit-Secondly-Remaining": "0"})
        if call.sandbox.retry_after is not None:  # HubSpot sends none; a proxy in between might
            response.headers["Retry-After"] = call.sandbox.retry_after
        return response
    return error(burst_status(call), "INTERNAL_ERROR", "internal error")


def _object_type(call: Call) -> str | None:
    return OBJECT_TYPES.get(call.request.path_params["object_type"])


def _list_param(call: Call, name: str) -> list[str]:
    return [p for value in call.params.getlist(name) for p in value.split(",") if p]


def _shape(payload: str, wanted: list[str] | None, kind: str, associations: list[str]) -> dict:
    obj = orjson.loads(payload)
    keep = set(wanted or DEFAULT_PROPERTIES[kind]) | {"hs_object_id", "createdate", MODIFIED.get(kind, "hs_lastmodifieddate")}
    obj["properties"] = {k: v for k, v in obj["properties"].items() if k in keep}
    stored = obj.pop("associations", {})
    chosen = {a: stored[a] for a in associations if a in stored}
    if chosen:
        obj["associations"] = chosen
    return obj


def _limit(call: Call, raw: object, default: int, cap: int) -> int | Response:
    try:
        limit = int(raw) if raw is not None else default
    except (TypeError, ValueError):
        return error(400, "VALIDATION_ERROR", f"Invalid input JSON: limit {raw!r} is not an integer")
    if not 1 <= limit <= cap:
        return error(400, "VALIDATION_ERROR", f"limit must be between 1 and {cap}, got {limit}")
    return limit


def list_objects(call: Call) -> Response:
    """GET /crm/v3/objects/{type}: `after` is the last id of the previous page."""
    kind = _object_type(call)
    if kind is None:
        return error(400, "VALIDATION_ERROR", f"Unable to infer object type from: {call.request.path_params['object_type']}")
    limit = _limit(call, call.params.get("limit"), 10, 100)
    if isinstance(limit, Response):
        return limit
    # archived=true lists the deleted objects (`archived: true`, `archivedAt`) and nothing else: the
    # spec's "Whether to return only results that have been archived" (../shared/specs/hubspot);
    # archiving moves an object to the recycling bin:
    # https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/custom-objects/delete-custom-object
    archived = call.params.get("archived", "false").lower() == "true"
    resource = f"hubspot/{kind}{ARCHIVED if archived else ''}"
    after = call.params.get("after", "")
    # Duplicate fault: the page starts at the `after` record itself, repeating it.
    op = ">=" if after and call.page_fault() else ">"
    rows = call.world.query(resource, "", f"id {op} ?", (after,), order="id", limit=limit + 1)
    wanted = _list_param(call, "properties") or None
    assoc = _list_param(call, "associations")
    results = [_shape(p, wanted, kind, assoc) for _, p in rows[:limit]]
    body: dict = {"results": results}
    if len(rows) > limit:
        nxt = rows[limit - 1][0]
        if after and call.hostile_link() == "repeat_cursor":
            nxt = after  # the page hands back the cursor it was asked with
        link = str(call.request.url.include_query_params(after=nxt))
        body["paging"] = {"next": {"after": nxt, "link": link}}
    return json_response(body)


def _millis_to_iso(value: object) -> str:
    text = str(value)
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + \
            f"{int(text) % 1000:03d}Z"
    return text if text.endswith("Z") else text + ("Z" if "T" in text else "T00:00:00.000Z")


def _filter_sql(kind: str, f: dict) -> tuple[str, list] | Response:
    prop, op = f.get("propertyName"), f.get("operator")
    if prop in ("lastmodifieddate", "hs_lastmodifieddate"):
        column, convert = "modified_at", _millis_to_iso
    elif prop == "hs_object_id":
        column, convert = "cast(id as integer)", int
    else:
        return error(400, "VALIDATION_ERROR", f"sandbox search supports filters on {MODIFIED.get(kind, 'hs_lastmodifieddate')} "
                     f"and hs_object_id, not {prop!r}")
    if op == "BETWEEN":
        return f"{column} between ? and ?", [convert(f.get("value")), convert(f.get("highValue"))]
    if op not in OPERATORS:
        return error(400, "VALIDATION_ERROR", f"operator {op!r} is not supported on {prop}")
    return f"{column} {OPERATORS[op]} ?", [convert(f.get("value"))]


def _modified_window(body: dict) -> tuple[str | None, str | None, bool, bool] | None:
    """(lo, hi, lo inclusive, hi inclusive) when the search is the incremental pattern: one filter group on
    the modified date only, sorted by it ascending (or unsorted); None otherwise."""
    groups = body.get("filterGroups") or []
    sorts = body.get("sorts") or []
    if len(groups) > 1 or len(sorts) != 1:  # unsorted searches come back in id order: the general path
        return None
    s = sorts[0]
    if not isinstance(s, dict) or s.get("propertyName") not in ("lastmodifieddate", "hs_lastmodifieddate") \
            or s.get("direction", "ASCENDING") != "ASCENDING":
        return None
    lo = hi = None
    lo_inc = hi_inc = True
    for f in (groups[0].get("filters") or []) if groups else []:
        if f.get("propertyName") not in ("lastmodifieddate", "hs_lastmodifieddate"):
            return None
        op, value = f.get("operator"), _millis_to_iso(f.get("value"))
        if op in ("GT", "GTE") and (lo is None or value >= lo):
            lo, lo_inc = value, op == "GTE"
        elif op in ("LT", "LTE") and (hi is None or value <= hi):
            hi, hi_inc = value, op == "LTE"
        elif op == "BETWEEN":
            lo, hi = value, _millis_to_iso(f.get("highValue"))
        else:
            return None
    return lo, hi, lo_inc, hi_inc


def _where(kind: str, body: dict) -> tuple[str, list, str] | Response:
    """SQL filter, parameters and order for any supported search body."""
    groups = []
    params: list = []
    for group in body.get("filterGroups") or []:
        parts = []
        for f in group.get("filters") or []:
            made = _filter_sql(kind, f)
            if isinstance(made, Response):
                return made
            parts.append(made[0])
            params += made[1]
        if parts:
            groups.append("(" + " and ".join(parts) + ")")
    where = "(" + " or ".join(groups) + ")" if groups else ""
    order = "cast(id as integer)"
    for s in body.get("sorts") or []:
        prop = s.get("propertyName") if isinstance(s, dict) else str(s).lstrip("-")
        desc = (s.get("direction") == "DESCENDING") if isinstance(s, dict) else str(s).startswith("-")
        if prop in ("lastmodifieddate", "hs_lastmodifieddate"):
            order = f"modified_at {'desc' if desc else 'asc'}, id"
        elif prop == "hs_object_id":
            order = f"cast(id as integer) {'desc' if desc else 'asc'}"
    return where, params, order


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(epoch * 1000) % 1000:03d}Z"


def version_lag(id_: str, visible_from: str, max_seconds: int) -> int:
    """Seconds until one record version is searchable: spread over 0..max_seconds, the same every run."""
    return zlib.crc32(f"{id_}@{visible_from}".encode()) % (max_seconds + 1)


@dataclass
class SearchIndex:
    """The search index's lag behind the records, and the lagged orderings built at each clock."""

    lag_seconds: int = DEFAULT_SEARCH_LAG_SECONDS
    _orderings: OrderedDict = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def world(self, world: World) -> World:
        """The world as the whole index has caught up with it: the clock minus the full lag."""
        return world.at(_iso(_epoch(world.clock) - self.lag_seconds)) if self.lag_seconds else world

    def ordering(self, world: World, resource: str, since: str | None) -> Ordering:
        """Searchable records sorted by (modified_at, id): every version older than the full lag,
        then each later version once its own lag has passed (replacing the one before it)."""
        if not self.lag_seconds:
            return world.ordering(resource, "", "modified_at", since=since)
        key = (resource, world.clock, since, self.lag_seconds)
        with self._lock:
            found = self._orderings.get(key)
        if found is not None:
            return found
        settled = self.world(world)
        base = settled.ordering(resource, "", "modified_at", since=since)
        now = _epoch(world.clock)
        recent = world.db.execute(
            "select id, visible_from, modified_at, rowid from records where resource = ? and scope = '' "
            "and visible_from >= ? and visible_from < ? order by visible_from", (resource, settled.clock, world.clock))
        indexed = {id_: (modified, rowid) for id_, seen, modified, rowid in recent
                   if _epoch(seen) + version_lag(id_, seen, self.lag_seconds) < now}
        rows = [(k, i, r) for k, i, r in zip(base.keys, base.ids, base.rowids) if i not in indexed]
        rows += [(m, i, r) for i, (m, r) in indexed.items() if since is None or m >= since]
        rows.sort()
        found = Ordering(rows)
        with self._lock:
            self._orderings[key] = found
            while len(self._orderings) > 8:
                self._orderings.popitem(last=False)
        return found


def search(call: Call, index: SearchIndex) -> Response:
    """POST /crm/v3/objects/{type}/search: filterGroups, sorts, offset `after`, the 10,000 cap; what
    the lagging index holds, never archived objects."""
    kind = _object_type(call)
    if kind is None:
        return error(400, "VALIDATION_ERROR", "Unknown object type")
    try:
        body = call.json_body() or {}
    except ValueError as exc:
        return error(400, "VALIDATION_ERROR", f"Invalid input JSON on line 1: {exc}")
    limit = _limit(call, body.get("limit"), 10, 200)
    if isinstance(limit, Response):
        return limit
    after = int(body.get("after") or 0)
    if after >= SEARCH_CAP:
        return error(400, "VALIDATION_ERROR", "/search paging is limited to 10,000 results; narrow the filters "
                     "(e.g. on the last modified date) and start again")
    resource = f"hubspot/{kind}"
    shifted = after > 0 and call.page_fault()  # see shipstation._paged
    fast = _modified_window(body)
    if fast is not None:
        ordering = index.ordering(call.world, resource, fast[0])
        lo, hi = ordering.bounds(*fast)
        total = hi - lo
        first = lo + after - shifted
        payloads = call.world.payloads(ordering.rowids[first:min(hi, first + limit + shifted)])
    else:  # other searches see the index as of the clock minus the whole lag
        made = _where(kind, body)
        if isinstance(made, Response):
            return made
        where, params, order = made
        world = index.world(call.world)
        total = world.count(resource, "", where, params)
        payloads = [p for _, p in world.query(resource, "", where, params, order=order, limit=limit + shifted,
                                              offset=after - shifted)]
    wanted = body.get("properties") or None
    out: dict = {"total": total, "results": [_shape(p, wanted, kind, []) for p in payloads]}
    if after + limit < total:
        out["paging"] = {"next": {"after": str(after + limit)}}
    return json_response(out)


def batch_read(call: Call) -> Response:
    """POST /crm/v4/associations/deals/{to}/batch/read: each deal's associated ids as of the clock."""
    src, dst = call.request.path_params["from_type"], call.request.path_params["to_type"]
    started = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    if OBJECT_TYPES.get(src) != "deals" or OBJECT_TYPES.get(dst) not in ASSOCIATION_TYPES:
        return error(400, "VALIDATION_ERROR", f"sandbox serves associations from deals to contacts, companies or "
                     f"line_items, not {src} -> {dst}")
    dst = OBJECT_TYPES[dst]
    try:
        inputs = (call.json_body() or {}).get("inputs") or []
    except ValueError as exc:
        return error(400, "VALIDATION_ERROR", f"Invalid input JSON: {exc}")
    if len(inputs) > 1000:
        return error(400, "VALIDATION_ERROR", "Batch input is limited to 1000 inputs")
    ids = [str(i.get("id")) for i in inputs]
    found = dict(call.world.query("hubspot/deals", "", f"id in ({','.join('?' * len(ids))})", ids)) if ids else {}
    live = _live_targets(call.world, dst, {t["id"] for p in found.values()
                                           for t in orjson.loads(p).get("associations", {}).get(dst, {}).get("results", [])})
    results, errors = [], []
    for id_ in ids:
        payload = found.get(id_)
        if payload is None:
            errors.append(id_)
            continue
        stored = orjson.loads(payload).get("associations", {}).get(dst, {}).get("results", [])
        targets = [{"id": live[t["id"]]} for t in stored if t["id"] in live]
        targets = list({t["id"]: t for t in targets}.values())  # two merged contacts are one
        if targets:
            results.append({"from": {"id": id_}, "to": [{"toObjectId": int(t["id"]),
                                                         "associationTypes": ASSOCIATION_TYPES[dst]} for t in targets]})
    out: dict = {"status": "COMPLETE", "results": results, "startedAt": started,
                 "completedAt": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())}
    if errors:
        out["numErrors"] = len(errors)
        out["errors"] = [{"status": "error", "category": "OBJECT_NOT_FOUND", "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                          "context": {"fromObjectId": errors}, "message": "No deals found with the given ids"}]
        return json_response(out, 207)
    return json_response(out)


def _live_targets(world: World, kind: str, ids: set[str]) -> dict[str, str]:
    """Each associated id as HubSpot answers it at the clock: a merged-away contact as the contact it
    was merged into (https://developers.hubspot.com/changelog/updated-merge-functionality-for-contacts-and-companies),
    a deleted object not at all (deleting an object removes its associations)."""
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    merged = {i: orjson.loads(p)["mergedInto"]
              for i, p in world.query(f"hubspot/{kind}{MERGED}", "", f"id in ({marks})", sorted(ids))}
    wanted = {merged.get(i, i) for i in ids}
    live = {i for i, in world.query(f"hubspot/{kind}", "", f"id in ({','.join('?' * len(wanted))})", sorted(wanted),
                                    columns="id")}
    return {i: merged.get(i, i) for i in ids if merged.get(i, i) in live}


def routes(sandbox: Sandbox) -> list[Route]:
    """The HubSpot routes (mounted under /hubspot), and `/_admin/search-lag` to set the index lag."""
    index = SearchIndex() if sandbox.search_lag_seconds is None else SearchIndex(sandbox.search_lag_seconds)

    def ep(path: str, methods: list[str], handler) -> Route:  # noqa: ANN001
        return endpoint(sandbox, "hubspot", path, methods, handler, check_auth, fault_response)

    async def search_lag(request: Request) -> Response:
        if request.method == "POST":
            try:
                seconds = int((await request.json())["seconds"])
                if seconds < 0:
                    raise ValueError("below 0")
            except (ValueError, KeyError, TypeError) as exc:
                return json_response({"error": f'POST /hubspot/_admin/search-lag needs {{"seconds": N}}, N >= 0 '
                                               f"(0: search sees every write at once): {exc}"}, 400)
            index.lag_seconds = seconds
        return json_response({"seconds": index.lag_seconds})

    return [
        ep("/crm/v3/objects/{object_type}", ["GET"], list_objects),
        ep("/crm/v3/objects/{object_type}/search", ["POST"], lambda call: search(call, index)),
        ep("/crm/v4/associations/{from_type}/{to_type}/batch/read", ["POST"], batch_read),
        Route("/_admin/search-lag", search_lag, methods=["GET", "POST"]),
    ]
