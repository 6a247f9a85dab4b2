"""How each vendor expects its credentials; sent only to the configured origin (see http.py).

The bearer token is read from the system's token source on every request (connectors/tokens.py),
so a short-lived token refreshed by one thread is used by all; `Auth.refresh` drops a token the
API refused so the next request carries a new one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import orjson

from connectors.config import SystemConfig

# Meta's token errors (code 190) by subcode: https://developers.facebook.com/docs/graph-api/guides/error-handling/
META_TOKEN_SUBCODES = {
    458: "the app is not installed for the token's user",
    459: "the user is checkpointed (must log in to Facebook to fix it)",
    460: "the user changed their password",
    463: "the token expired",
    464: "the user is unconfirmed",
    467: "the token is invalid (logged out or revoked)",
    492: "the session is invalid",
}
META_TOKEN_FIX = (
    "create a token that lasts: a system user token (https://developers.facebook.com/docs/marketing-api/system-users/, "
    "does not expire) or a long-lived user token (https://developers.facebook.com/docs/facebook-login/guides/access-tokens/"
    "get-long-lived, 60 days), with ads_read on the ad accounts, and set HUB_META_ACCESS_TOKEN to it"
)


# The API version /work/shared/specs/shippo/public-api.yaml describes, sent in `SHIPPO-API-VERSION`.
SHIPPO_API_VERSION = "2018-02-08"


class Auth(Mapping[str, str]):
    """The headers that authenticate to one system, the bearer token read fresh from its source."""

    def __init__(self, system: SystemConfig) -> None:
        self.system = system

    def _fixed(self) -> dict[str, str]:
        creds = self.system.credentials
        if self.system.system == "google_ads":
            fixed = {"developer-token": creds["developer_token"]}
            if self.system.login_customer_id:
                fixed["login-customer-id"] = self.system.login_customer_id
            return fixed
        if self.system.system == "shipstation":
            return {"api-key": creds["api_key"]}
        if self.system.system == "shippo":  # https://docs.goshippo.com/docs/guides_general/authentication/
            # the version the hub's Shippo shapes follow, not the account's default (the spec's header)
            return {"authorization": f"ShippoToken {creds['api_token']}", "shippo-api-version": SHIPPO_API_VERSION}
        return {}

    def current(self) -> tuple[dict[str, str], str | None]:
        """The headers to send now and the bearer token among them (None when there is none)."""
        headers = self._fixed()
        token = self.system.tokens.token() if self.system.tokens is not None else None
        if token is not None:
            # Meta too takes a header rather than the access_token query parameter: it keeps the token out of URLs.
            headers["authorization"] = f"Bearer {token}"
        return headers, token

    def refresh(self, stale: str | None) -> bool:
        """After a 401: forget `stale`; True when the next `current()` may carry a new token."""
        return stale is not None and self.system.tokens is not None and self.system.tokens.invalidate(stale)

    def __getitem__(self, key: str) -> str:
        return self.current()[0][key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.current()[0])

    def __len__(self) -> int:
        return len(self.current()[0])


def auth_headers(system: SystemConfig) -> Auth:
    """The request headers that authenticate to `system` (a live mapping: see Auth)."""
    return Auth(system)


def meta_token_problem(body: bytes) -> str | None:
    """What Meta's code 190 error says is wrong with the token, and the fix, else None."""
    try:
        error = orjson.loads(body).get("error")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    if not isinstance(error, dict) or error.get("code") != 190:
        return None
    subcode = error.get("error_subcode")
    why = META_TOKEN_SUBCODES.get(subcode, "the token was refused") if isinstance(subcode, int) else "the token was refused"
    return f"Meta refused HUB_META_ACCESS_TOKEN (code 190, subcode {subcode}: {why}): {META_TOKEN_FIX}"
