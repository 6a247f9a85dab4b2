"""Version calendars as the vendors enforce them: a sunset or unreleased version gets the vendor's error.

The sandbox judges by `--version-date` (default: today, UTC, at each request), not by the world's
clock: vendors sunset versions by the real calendar, whatever day the data shows. The calendar is
the one the hub keeps (connectors/versions.py, with its sources), so both move together when a
vendor announces a date. Errors copied from the vendors:

- Google Ads, sunset version: HTTP 400 INVALID_ARGUMENT, GoogleAdsFailure `requestError:
  UNSUPPORTED_VERSION`, "Version vNN is deprecated. Requests to this version will be blocked."
  (https://developers.google.com/google-ads/api/docs/sunset-dates: "all vNN API requests will
  begin to fail"; the body as clients report it, e.g. https://github.com/google-marketing-solutions/adios/issues/47);
  a version not (yet) served: a plain HTTP 404 "Not Found" page.
- Meta, expired version: HTTP 400 OAuthException code 2635 "(#2635) You are calling a deprecated
  version of the Ads API. Please update to the latest version: vNN.0."
  (https://developers.facebook.com/docs/marketing-api/versions: calls to an unavailable version fail;
  the body as Meta's SDK reports it: https://github.com/facebook/facebook-java-business-sdk/issues/136);
  an unknown version: code 2500 "Unknown path components".
"""

from __future__ import annotations

import re
import secrets
from datetime import date

from starlette.responses import Response

from connectors import versions
from sandbox.apis.common import Call, json_response


def judged_on(call: Call) -> date:
    """The date versions are judged by: `--version-date`, else today (UTC)."""
    return call.sandbox.version_date or versions.today_utc()


def refuse(call: Call, system: str) -> Response | None:
    """The vendor's error when the path's version is not callable today, else None."""
    name = call.request.path_params["version"]
    cal = versions.calendar(system)
    on = judged_on(call)
    state = versions.state(system, name, on) if re.fullmatch(cal.pattern, name) else "unknown"
    if state == "live":  # a version past the calendar is not served: the sandbox knows no other release
        return None
    if system == "google_ads":
        if state in ("sunset", "older"):
            message = f"Version {name} is deprecated. Requests to this version will be blocked."
            return json_response({"error": {"code": 400, "message": "Request contains an invalid argument.",
                                             "status": "INVALID_ARGUMENT", "details": [
                {"@type": f"type.googleapis.com/google.ads.googleads.{versions.default_version(system, on)}.errors.GoogleAdsFailure",
                 "errors": [{"errorCode": {"requestError": "UNSUPPORTED_VERSION"}, "message": message}],
                 "requestId": secrets.token_urlsafe(16)}]}}, 400)
        return Response(f"<!DOCTYPE html><title>Error 404 (Not Found)</title><p>The requested URL "
                        f"<code>{call.request.url.path}</code> was not found on this server.", 404, media_type="text/html")
    if state in ("sunset", "older"):
        message = (f"(#2635) You are calling a deprecated version of the Ads API. Please update to the latest "
                   f"version: {versions.default_version(system, on)}.")
        return json_response({"error": {"message": message, "type": "OAuthException", "code": 2635,
                                        "fbtrace_id": "A" + secrets.token_hex(10)}}, 400)
    return json_response({"error": {"message": f"Unknown path components: /{name}{call.request.url.path.split(name, 1)[1]}",
                                    "type": "OAuthException", "code": 2500, "fbtrace_id": "A" + secrets.token_hex(10)}}, 400)

