"""DocuSign eSignature v2.1: listStatusChanges, GET /restapi/v2.1/accounts/{id}/envelopes."""

from urllib.parse import urlencode

import orjson
from starlette.responses import Response
from starlette.routing import Route

from sandbox.apis.common import Call, Sandbox, endpoint, json_response
from sandbox.credentials import DOCUSIGN_ACCOUNT_ID, SANDBOX_CREDENTIALS
from sandbox.world.timefmt import iso_ms, parse_iso

MAX_COUNT = 1000


def error(status: int, code: str, message: str) -> Response:
    """A DocuSign error body."""
    return json_response({"errorCode": code, "message": message}, status)


def check_auth(call: Call) -> Response | None:
    """OAuth bearer token; the account id in the path must be ours."""
    if call.request.headers.get("authorization") != f"Bearer {SANDBOX_CREDENTIALS['docusign']['access_token']}":
        return error(401, "USER_AUTHENTICATION_FAILED", "One or both of Username and Password are invalid. "
                     "Invalid access token")
    if call.request.path_params["account"] != DOCUSIGN_ACCOUNT_ID:
        return error(403, "USER_LACKS_MEMBERSHIP", "The UserID does not have a valid membership in this Account.")
    return None


def fault_response(call: Call, kind: str) -> Response:
    """429 with the X-RateLimit-* headers, or a 503."""
    if kind == "rate_limit":
        response = error(429, "HOURLY_APIINVOCATION_LIMIT_EXCEEDED", "The maximum number of hourly API "
                         "invocations has been exceeded. The hourly limit is 3000.")
        hint = call.wait_hint("1")
        response.headers.update({"X-RateLimit-Limit": "3000", "X-RateLimit-Remaining": "0",
                                 "X-RateLimit-Reset": hint, "Retry-After": hint})
        return response
    return error(503, "SERVICE_UNAVAILABLE", "The service is temporarily unavailable.")


def list_status_changes(call: Call) -> Response:
    """Envelopes whose status changed at or after `from_date`, oldest change first, offset-paged."""
    p = call.params
    if not p.get("from_date"):
        return error(400, "INVALID_REQUEST_PARAMETER", "The request contained at least one invalid parameter. "
                     "from_date, envelope_ids or transaction_ids must be specified.")
    try:
        start = int(p.get("start_position", 0))
        count = min(int(p.get("count", 100)), MAX_COUNT)
        since = iso_ms(parse_iso(p["from_date"]))
        until = iso_ms(parse_iso(p["to_date"])) if p.get("to_date") else None
    except ValueError as exc:
        return error(400, "INVALID_REQUEST_PARAMETER", f"The request contained at least one invalid parameter. {exc}")
    statuses = [s for s in p.get("status", "").split(",") if s]
    include = set(p.get("include", "").split(","))
    account = call.request.path_params["account"]
    world = call.world
    shifted = start > 0 and call.page_fault()  # see shipstation._paged
    if statuses:
        where = "modified_at >= ?" + (" and modified_at < ?" if until else "")
        where += f" and json_extract(payload, '$.status') in ({','.join('?' * len(statuses))})"
        params = [since, *([until] if until else []), *statuses]
        total = world.count("docusign/envelopes", account, where, params)
        rows = [r[0] for r in world.query("docusign/envelopes", account, where, params, order="modified_at, id",
                                          limit=count + shifted, offset=start - shifted, columns="payload")]
    else:
        ordering = world.ordering("docusign/envelopes", account, "modified_at", since=since)
        lo, hi = ordering.bounds(since, until, hi_inclusive=False)
        total = hi - lo
        first = lo + start - shifted
        rows = world.payloads(ordering.rowids[first:min(hi, first + count + shifted)])
    envelopes = []
    for payload in rows:
        env = orjson.loads(payload)
        if "custom_fields" not in include:
            env.pop("customFields", None)
        if "recipients" not in include:
            env.pop("recipients", None)
        envelopes.append(env)
    end = start + len(envelopes) - shifted
    nxt = ""
    if end < total:
        nxt = f"/accounts/{account}/envelopes?" + urlencode({**dict(p), "start_position": end, "count": count})
    prev = ""
    if start > 0:
        prev = f"/accounts/{account}/envelopes?" + urlencode({**dict(p), "start_position": max(0, start - count)})
    body: dict = {"resultSetSize": str(len(envelopes)), "startPosition": str(start),
                  "endPosition": str(max(start, end - 1)), "totalSetSize": str(total),
                  "nextUri": nxt, "previousUri": prev}
    if envelopes:
        body["envelopes"] = envelopes
    return json_response(body)


def routes(sandbox: Sandbox) -> list[Route]:
    """The DocuSign route (mounted under /docusign)."""
    return [endpoint(sandbox, "docusign", "/restapi/v2.1/accounts/{account}/envelopes", ["GET"],
                     list_status_changes, check_auth, fault_response)]
