"""The vendors' API version calendars: which version is live on a date, the default, the sunset warning.

Google Ads (path `/vNN/customers/...`) and Meta's Marketing API (path `/vNN.0/...`) publish a
release and a sunset (expiry) date per version; a call to a sunset version fails. HubSpot CRM v3/v4,
DocuSign eSignature v2.1 and ShipStation v2 carry their version in the path but publish no sunset
calendar for it today (see sandbox/README.md), so only these two are judged here. The calendar is
kept by hand: update it when a vendor announces a release or a sunset (the sources are cited per
vendor below). The sandbox serves the same calendar (sandbox/apis/versions.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone

import orjson

WARN_DAYS = 60  # a configured version this close to its sunset warns in the run and the UI


@dataclass(frozen=True)
class ApiVersion:
    """One version of one vendor's API: when it was released and when it stops answering."""

    name: str
    released: date | None  # None: released before the calendar starts (long live already)
    sunset: date | None  # None: no sunset announced yet


@dataclass(frozen=True)
class Calendar:
    """A vendor's versions, oldest first, with the variable that picks one and where the dates come from."""

    system: str
    variable: str
    pattern: str  # what a version looks like in the path
    example: str
    versions: tuple[ApiVersion, ...]
    sources: tuple[str, ...]

    def number(self, name: str) -> int:
        """The major number of a version name (`v26` -> 26, `v27.0` -> 27)."""
        return int(re.match(r"v(\d+)", name).group(1))  # type: ignore[union-attr]


# Google Ads: majors live about 12 months; a sunset version answers every call with an error.
# Sunset dates of v19..v22 from the reminder posts; release dates of v23..v26 from the release
# notes; v23..v26 sunsets are published as a month only ("February 2027"), so the 1st of that
# month is used: the hub warns and refuses early rather than late.
GOOGLE_ADS = Calendar(
    system="google_ads",
    variable="HUB_GOOGLE_ADS_API_VERSION",
    pattern=r"v\d{2}",
    example="v26",
    versions=(
        ApiVersion("v19", None, date(2026, 2, 11)),
        ApiVersion("v20", None, date(2026, 6, 10)),
        ApiVersion("v21", None, date(2026, 8, 5)),
        ApiVersion("v22", None, date(2026, 10, 7)),
        ApiVersion("v23", date(2026, 1, 28), date(2027, 2, 1)),
        ApiVersion("v24", date(2026, 4, 22), date(2027, 5, 1)),
        ApiVersion("v25", date(2026, 7, 22), date(2027, 8, 1)),
        ApiVersion("v26", date(2026, 10, 14), date(2027, 11, 1)),
    ),
    sources=(
        "https://developers.google.com/google-ads/api/docs/sunset-dates",
        "https://developers.google.com/google-ads/api/docs/release-notes",
        "https://developers.google.com/ads/blog/posts/2025/09/more-frequent-releases-coming-for",
        "https://developers.google.com/ads/blog/posts/2025/12/google-ads-api-v19-sunset-reminder",
        "https://developers.google.com/ads/blog/posts/2026/04/google-ads-api-v20-sunset-reminder",
        "https://developers.google.com/ads/blog/posts/2026/06/google-ads-api-v21-sunset-reminder",
        "https://developers.google.com/ads/blog/posts/2026/09/google-ads-api-v22-sunset-reminder",
        "https://developers.google.com/ads/blog/posts/2026/10/announcing-v26-of-google-ads-api",
    ),
)

# Meta Marketing API versions and expiration dates ("Marketing API version history"); this is the
# Marketing API's own table, shorter-lived than the Graph API's.
META = Calendar(
    system="meta",
    variable="HUB_META_API_VERSION",
    pattern=r"v\d{2}\.0",
    example="v27.0",
    versions=(
        ApiVersion("v21.0", date(2024, 10, 2), date(2025, 9, 9)),
        ApiVersion("v22.0", date(2025, 1, 21), date(2026, 2, 19)),
        ApiVersion("v23.0", date(2025, 5, 29), date(2026, 6, 9)),
        ApiVersion("v24.0", date(2025, 10, 8), date(2026, 11, 10)),
        ApiVersion("v25.0", date(2026, 2, 18), date(2027, 2, 23)),
        ApiVersion("v26.0", date(2026, 7, 29), None),
        ApiVersion("v27.0", date(2026, 11, 4), None),
    ),
    sources=(
        "https://developers.facebook.com/documentation/ads-commerce/marketing-api/marketing-api-changelog/versions",
        "https://developers.facebook.com/docs/marketing-api/versions",
    ),
)

CALENDARS: dict[str, Calendar] = {"google_ads": GOOGLE_ADS, "meta": META}


def today_utc() -> date:
    """Today's date in UTC: what versions are judged by unless HUB_API_VERSION_DATE says otherwise."""
    return datetime.now(timezone.utc).date()


def calendar(system: str) -> Calendar:
    """The calendar of `system` (KeyError for a system whose versions have no published calendar)."""
    return CALENDARS[system]


def find(system: str, name: str) -> ApiVersion | None:
    """The calendar's entry for version `name`, or None when the calendar does not list it."""
    return next((v for v in calendar(system).versions if v.name == name), None)


def default_version(system: str, on: date) -> str:
    """The newest version released by `on` that is not sunset: the live default."""
    live = [v for v in calendar(system).versions if state(system, v.name, on) == "live"]
    if not live:
        raise ValueError(f"the hub's {system} version calendar has no live version on {on}: update connectors/versions.py")
    return live[-1].name


def state(system: str, name: str, on: date) -> str:
    """`live`, `sunset`, `unreleased`, `newer` (past the calendar: assumed live) or `older` (before it: gone)."""
    cal = calendar(system)
    version = find(system, name)
    if version is None:
        return "newer" if cal.number(name) > cal.number(cal.versions[-1].name) else "older"
    if version.released is not None and on < version.released:
        return "unreleased"
    if version.sunset is not None and on >= version.sunset:
        return "sunset"
    return "live"


def check_version(system: str, name: str, on: date) -> str:
    """`name` if it has the vendor's form and is callable on `on`; ValueError says why not and what to use."""
    cal = calendar(system)
    if not re.fullmatch(cal.pattern, name):
        raise ValueError(f"is not a {system} API version (the form is like {cal.example})")
    now = state(system, name, on)
    newest = default_version(system, on)
    if now in ("sunset", "older"):
        when = find(system, name)
        since = f" since {when.sunset}" if when and when.sunset else ""
        raise ValueError(f"is sunset{since} (judged on {on}): use {newest}, the newest released version")
    if now == "unreleased":
        raise ValueError(f"is not released yet on {on}: use {newest}, the newest released version")
    return name


def sunset_warning(system: str, name: str, on: date) -> str | None:
    """A warning when version `name` sunsets within WARN_DAYS of `on`, naming the variable and the fix."""
    version = find(system, name)
    if version is None or version.sunset is None:
        return None
    left = (version.sunset - on).days
    if not 0 <= left <= WARN_DAYS:
        return None
    cal = calendar(system)
    return (
        f"{system} API {name} sunsets on {version.sunset} ({left} days after {on}); after that every call fails: "
        f"set {cal.variable}={default_version(system, on)} (the newest released version) and check the vendor's "
        f"upgrade notes ({cal.sources[0]})"
    )


def refused_version(system: str, status: int, body: bytes) -> str | None:
    """The fix when a vendor's error says the called version is gone or unknown, else None.

    Google Ads answers a sunset version with 400 INVALID_ARGUMENT and `requestError:
    UNSUPPORTED_VERSION` ("Version vNN is deprecated. Requests to this version will be blocked.")
    and a path it does not serve with a plain 404; Meta answers (#2635) "You are calling a
    deprecated version of the Ads API" (code 2635).
    """
    if system not in CALENDARS:
        return None
    variable = calendar(system).variable
    fix = f"set {variable} to a live version (unset it for the hub's default, the newest released one)"
    if system == "google_ads" and (b"UNSUPPORTED_VERSION" in body or status == 404):
        return f"Google Ads does not serve this API version: {fix}"
    if system == "meta" and _meta_code(body) == 2635:
        return f"Meta refuses this API version as deprecated: {fix}"
    return None


def _meta_code(body: bytes) -> int | None:
    try:
        error = orjson.loads(body).get("error", {})
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return error.get("code") if isinstance(error, dict) else None
