"""What admits the hub to a Salesforce org: the API version it calls and the session it calls with.

Below connectors.config (which checks HUB_SALESFORCE_API_VERSION and builds the token source with
these), so the Salesforce streams module, which reads the settings, imports neither way round.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from connectors.errors import AuthError
from connectors.tokens import Grant, GrantToken, TokenSource

# The API version called unless HUB_SALESFORCE_API_VERSION says otherwise: Summer '26, 67.0
# (https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/query_bulk_api_2_0.htm
# lists it). Versions 21.0-30.0 were retired in Summer '25 and answer 410 GONE; 31.0-40.0 retire
# in Summer '28 (https://help.salesforce.com/s/articleView?id=000354473,
# https://help.salesforce.com/s/articleView?id=005321531).
LIVE_VERSION = "v67.0"
OLDEST_LIVE = 31
RETIRING = range(31, 41)  # deprecated with Summer '27, retired with Summer '28 (005321531 above)
VERSION = re.compile(r"^v?(\d+)\.0$")


def check_version(version: str) -> str:
    """`version` as `vNN.0` when Salesforce still serves it; ValueError naming what is allowed."""
    found = VERSION.match(version)
    if not found:
        raise ValueError(f"is not a Salesforce API version like {LIVE_VERSION}")
    if int(found[1]) < OLDEST_LIVE:
        raise ValueError(f"was retired (versions below {OLDEST_LIVE}.0 answer 410 GONE since Summer '25): use "
                         f"{LIVE_VERSION}")
    return f"v{found[1]}.0"


def retirement_warning(version: str) -> str | None:
    """What to say when `version` is among those Salesforce retires next, else None."""
    found = VERSION.match(version)
    if found and int(found[1]) in RETIRING:
        return (f"Salesforce API {version} is deprecated from Summer '27 and retired with Summer '28 (then 410 GONE): "
                f"set HUB_SALESFORCE_API_VERSION to {LIVE_VERSION} or unset it")
    return None


def _place(url: str) -> tuple[str, str, int | None, str]:
    """Scheme, host, port and path (without a final slash) of a URL, to compare two of them."""
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port, parts.path.rstrip("/")


@dataclass
class InstanceCheckedToken(GrantToken):
    """A client-credentials session whose `instance_url` must be the configured My Domain URL."""

    instance_url: str = ""

    def _accept(self, body: bytes) -> None:
        try:
            answer: Any = orjson.loads(body)
        except orjson.JSONDecodeError:
            answer = {}
        said = answer.get("instance_url") if isinstance(answer, dict) else None
        if not isinstance(said, str) or _place(said) != _place(self.instance_url):
            raise AuthError(
                f"salesforce: the token endpoint {self.token_url} answered instance_url {said!r}, not the configured "
                f"HUB_SALESFORCE_BASE_URL {self.instance_url}: the session was not used. Set HUB_SALESFORCE_BASE_URL "
                f"to the org's My Domain URL (the instance_url a token comes back with)")
        super()._accept(body)


def client_credentials_token(base_url: str, credentials: Mapping[str, str], secrets: tuple[str, ...],
                             timeout: httpx.Timeout, retry_max_seconds: float, fix: str) -> TokenSource:
    """The org's session from its My Domain token endpoint, `grant_type=client_credentials`."""
    grant = Grant("client-credentials grant", lambda: {
        "grant_type": "client_credentials", "client_id": credentials["client_id"],
        "client_secret": credentials["client_secret"]}, fix=fix)
    return InstanceCheckedToken("salesforce", base_url.rstrip("/") + "/services/oauth2/token", grant, secrets,
                                timeout, retry_max_seconds, instance_url=base_url)
