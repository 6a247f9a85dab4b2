"""Meta Marketing API: GET /vNN.0/act_{id}/insights at campaign level, one row per day."""

import base64
import json
import secrets
from datetime import timedelta

import orjson
from starlette.datastructures import URL
from starlette.responses import Response
from starlette.routing import Route

from sandbox.apis import versions
from sandbox.apis.common import Call, Sandbox, endpoint, json_response
from sandbox.credentials import META_AD_ACCOUNTS, SANDBOX_CREDENTIALS

ALWAYS = ("date_start", "date_stop")
DEFAULT_FIELDS = ("impressions", "spend")
EXPIRED_TOKEN = "sandbox-meta-expired-token"  # answered as Meta answers an expired token (190/463)
PRESET_DAYS = {"yesterday": 1, "last_7d": 7, "last_14d": 14, "last_28d": 28, "last_30d": 30, "last_90d": 90,
               "maximum": 37 * 31}


def error(status: int, code: int, message: str, kind: str = "OAuthException", **extra: object) -> Response:
    """A Graph API error body."""
    return json_response({"error": {"message": message, "type": kind, "code": code, **extra,
                                    "fbtrace_id": "A" + secrets.token_hex(10)}}, status)


def _token(call: Call) -> str:
    header = call.request.headers.get("authorization", "")
    return call.params.get("access_token") or (header[7:] if header.startswith("Bearer ") else "")


def check_auth(call: Call) -> Response | None:
    """Token in `access_token` or `Authorization: Bearer`; the account must be one of ours."""
    token = _token(call)
    if not token:
        return error(400, 104, "An access token is required to request this resource.")
    if token == EXPIRED_TOKEN:
        # Code 190 with subcode 463, as HTTP 400: https://developers.facebook.com/docs/graph-api/guides/error-handling/
        return error(400, 190, "Error validating access token: Session has expired on Monday, 07-Dec-26 10:00:00 PST. "
                     "The current time is Monday, 07-Dec-26 11:00:00 PST.", error_subcode=463)
    if token != SANDBOX_CREDENTIALS["meta"]["access_token"]:
        return error(401, 190, "Invalid OAuth access token - Cannot parse access token")
    if f"act_{call.request.path_params['account']}" not in META_AD_ACCOUNTS:
        return error(403, 200, "(#200) Ad account owner has NOT grant ads_management or ads_read permission",
                     kind="OAuthException")
    return None


def fault_response(call: Call, kind: str) -> Response:
    """Throttling is HTTP 400 with code 17 or 613 and X-Business-Use-Case-Usage; else a 5xx."""
    if kind == "rate_limit":
        n = call.sandbox.calls[(call.vendor, call.path)]
        code, message = (17, "(#17) User request limit reached") if n % 2 else (
            613, "(#613) Calls to this api have exceeded the rate limit.")
        response = error(400, code, message, is_transient=True, error_subcode=2446079)
        # estimated_time_to_regain_access is in minutes (https://developers.facebook.com/docs/graph-api/overview/rate-limiting/);
        # json.dumps writes a hostile nan or inf as NaN / Infinity, which is not JSON at all.
        hint = call.wait_hint("0")
        try:
            regain: object = float(hint) / 60 if hint != "0" else 0
        except ValueError:
            regain = hint
        usage = {call.request.path_params["account"]: [{"type": "ads_insights", "call_count": 100,
                                                         "total_cputime": 38, "total_time": 60,
                                                         "estimated_time_to_regain_access": regain}]}
        response.headers["X-Business-Use-Case-Usage"] = json.dumps(usage)
        if call.sandbox.retry_after is not None:
            response.headers["Retry-After"] = call.sandbox.retry_after
        return response
    return error(500, 1, "An unknown error occurred", kind="OAuthException", is_transient=True, error_subcode=99)


def _cursor(date: str, id_: str) -> str:
    return base64.urlsafe_b64encode(f"{date}|{id_}".encode()).decode().rstrip("=")


def _uncursor(cursor: str) -> tuple[str, str]:
    text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    date, _, id_ = text.partition("|")
    return date, id_


def insights(call: Call) -> Response:
    """Campaign-day rows for `time_range`, keyset-paged by (date, campaign id)."""
    p = call.params
    if p.get("level", "campaign") != "campaign":
        return error(400, 100, f"(#100) sandbox serves level=campaign only, not {p.get('level')!r}", kind="GraphMethodException")
    if p.get("time_increment", "1") != "1":
        return error(400, 100, "(#100) sandbox serves time_increment=1 only", kind="GraphMethodException")
    try:
        if p.get("time_range"):
            rng = json.loads(p["time_range"])
            since, until = rng["since"], rng["until"]
        else:
            preset = p.get("date_preset", "last_30d")  # Meta's default
            if preset not in PRESET_DAYS:
                return error(400, 100, f"(#100) sandbox supports date_preset {sorted(PRESET_DAYS)}, not {preset!r}",
                             kind="OAuthException")
            end = call.world.as_of - timedelta(days=1)
            since, until = (end - timedelta(days=PRESET_DAYS[preset] - 1)).isoformat(), end.isoformat()
        limit = int(p.get("limit", 25))
        after = _uncursor(p["after"]) if p.get("after") else None
    except (ValueError, KeyError, TypeError) as exc:
        return error(400, 100, f"(#100) Invalid parameter: {exc}", kind="OAuthException")
    fields = [f for f in p.get("fields", ",".join(DEFAULT_FIELDS)).split(",") if f]
    where, params = "event_date between ? and ?", [since, until]
    scope = f"act_{call.request.path_params['account']}"
    if not after and call.sandbox.meta_max_rows and call.world.count("meta/insights", scope, where, params) > call.sandbox.meta_max_rows:
        # "Data per call limits": too many rows for one call, code 100 subcode 1487534; Meta's advice
        # is a shorter date range (https://developers.facebook.com/docs/marketing-api/insights/best-practices/).
        return error(400, 100, "Please reduce the amount of data you're asking for, then retry your request",
                     kind="OAuthException", error_subcode=1487534, is_transient=False)
    if after:
        op = ">=" if call.page_fault() else ">"
        where += f" and (event_date, id) {op} (?, ?)"
        params += list(after)
    rows = call.world.query("meta/insights", scope, where, params, order="event_date, id", limit=limit + 1,
                            columns="event_date, id, payload")
    data = []
    for _, _, payload in rows[:limit]:
        row = orjson.loads(payload)
        data.append({k: row[k] for k in (*fields, *ALWAYS) if k in row})
    body: dict = {"data": data}
    if data:
        first, last = rows[0], rows[min(limit, len(rows)) - 1]
        body["paging"] = {"cursors": {"before": _cursor(first[0], first[1]), "after": _cursor(last[0], last[1])}}
        if len(rows) > limit:
            # The real paging.next embeds the access token the request used, whether it came as a
            # parameter or a header (https://developers.facebook.com/docs/graph-api/results).
            url = call.request.url.include_query_params(after=body["paging"]["cursors"]["after"], access_token=_token(call))
            body["paging"]["next"] = _hostile(call, url)
    return json_response(body)


def _hostile(call: Call, url: URL) -> str:
    """`url`, or the hostile next link a link fault hands out instead (see faults.LINK_FAULTS)."""
    fault = call.hostile_link()
    if fault == "repeat_cursor":
        return str(call.request.url)
    if fault == "link_off_path":  # same host and port, another API's path: credentials must stay home
        return str(url.replace(path="/hubspot/crm/v3/objects/contacts"))
    if fault == "link_userinfo":
        return str(url.replace(netloc=f"intruder:hunter2@{url.netloc}"))
    if fault == "link_other_host":
        return str(url.replace(hostname="localhost" if url.hostname != "localhost" else "127.0.0.1"))
    return str(url)


def routes(sandbox: Sandbox) -> list[Route]:
    """The Meta routes (mounted under /meta); a version the calendar does not list as live is refused."""
    return [endpoint(sandbox, "meta", "/{version}/act_{account}/insights", ["GET"], insights,
                     lambda call: versions.refuse(call, "meta") or check_auth(call), fault_response)]
