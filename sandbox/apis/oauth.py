"""The vendors' token endpoints: short-lived access tokens, and their 401s once they run out.

Issued tokens stand for the account's static sandbox token (sandbox/credentials.py): a request
bearing a live one is served as if it bore the static token; an expired or unknown one gets the
vendor's own 401 body. Lifetimes are the vendors' (`expires_in`), shortened by `--token-seconds`;
`--token-uses N` makes every token expire after N API calls, so a test meets an expiry mid-stream
without waiting on a clock. Each endpoint copies its vendor's documented request and answers:

- Google: POST https://oauth2.googleapis.com/token, refresh-token grant, ~1 h tokens, errors
  `invalid_grant` / `invalid_client` (https://developers.google.com/identity/protocols/oauth2/web-server#offline,
  RFC 6749 §5.2); served at /google-oauth/token.
- DocuSign: POST /oauth/token on account(-d).docusign.com, JWT grant (RS256 assertion: iss, sub,
  aud = the account server's host, scope) and refresh grant with Basic auth; 1 h (JWT) and 8 h
  (code grant) tokens (https://developers.docusign.com/platform/auth/jwt-get-token,
  https://developers.docusign.com/platform/auth/reference/obtain-access-token); served at
  /docusign-account/oauth/token.
- HubSpot: POST /oauth/v1/token, `grant_type=refresh_token`, 30-minute tokens, error status
  BAD_REFRESH_TOKEN (https://developers.hubspot.com/docs/api-reference/legacy/authentication/oauth-tokens/v1/guide);
  served at /hubspot/oauth/v1/token.
- Salesforce: POST /services/oauth2/token on the org's My Domain, client-credentials grant (the
  connected app's consumer key and secret, in the form or as Basic auth); the answer carries
  `instance_url` and no `expires_in` (a session lasts the org's session timeout: 2 hours here)
  (https://help.salesforce.com/apex/HTViewHelpDoc?id=xcloud.remoteaccess_oauth_client_credentials_flow_ca.htm); errors `invalid_client_id`,
  `invalid_client`, `unsupported_grant_type`; an expired session answers 401 INVALID_SESSION_ID
  (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm);
  served at /salesforce/services/oauth2/token.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.credentials import DOCUSIGN_PRIVATE_KEY, OAUTH_CLIENTS, SANDBOX_CREDENTIALS

# The vendors' own lifetimes in seconds (`expires_in`).
LIFETIMES = {"google_ads": 3599, "hubspot": 1800, "docusign_jwt": 3600, "docusign_refresh": 28800, "salesforce": 7200}
STATIC_FIELD = {"google_ads": "access_token", "hubspot": "token", "docusign": "access_token",
                "salesforce": "access_token"}
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _json(payload: object, status: int) -> Response:
    return Response(orjson.dumps(payload), status, {"cache-control": "no-store"}, media_type="application/json")


@dataclass
class Issued:
    """One access token the sandbox handed out."""

    vendor: str
    expires_at: float
    uses_left: int | None


@dataclass
class TokenAuthority:
    """Tokens issued by the sandbox's token endpoints, and how long they live."""

    token_seconds: float | None = None  # shortens every lifetime when set
    token_uses: int | None = None  # a token answers this many API calls, then is expired
    issued: dict[str, Issued] = field(default_factory=dict)
    grants: dict[str, int] = field(default_factory=dict)  # vendor -> tokens issued (GET /_admin/stats)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self, vendor: str, lifetime: int) -> tuple[str, int]:
        """A new token for `vendor` and the `expires_in` to tell."""
        seconds = int(self.token_seconds) if self.token_seconds is not None else lifetime
        token = f"sandbox-{vendor}-oauth-{secrets.token_urlsafe(18)}"
        with self._lock:
            self.issued[token] = Issued(vendor, time.time() + seconds, self.token_uses)
            self.grants[vendor] = self.grants.get(vendor, 0) + 1
        return token, seconds

    def admit(self, vendor: str, request: Request) -> Response | None:
        """None when the request may go on (a live issued token is swapped for the static one);
        the vendor's 401 when it bears an issued token that expired or never existed."""
        header = request.headers.get("authorization", "")
        if vendor not in STATIC_FIELD or not header.startswith(f"Bearer sandbox-{vendor}-oauth-"):
            return None
        token = header[len("Bearer "):]
        with self._lock:
            issued = self.issued.get(token)
            live = issued is not None and time.time() < issued.expires_at and issued.uses_left != 0
            if live and issued.uses_left is not None:
                issued.uses_left -= 1
        if not live:
            return EXPIRED[vendor]()
        static = f"Bearer {SANDBOX_CREDENTIALS[vendor][STATIC_FIELD[vendor]]}".encode()
        request.scope["headers"] = [(k, static if k == b"authorization" else v) for k, v in request.scope["headers"]]
        request.__dict__.pop("_headers", None)  # Starlette caches parsed headers
        return None


def _google_expired() -> Response:
    # https://developers.google.com/google-ads/api/reference/rpc/latest/AuthenticationErrorEnum.AuthenticationError (OAUTH_TOKEN_EXPIRED)
    message = ("Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other "
               "valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.")
    return _json({"error": {"code": 401, "message": message, "status": "UNAUTHENTICATED", "details": [
        {"@type": "type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure",
         "errors": [{"errorCode": {"authenticationError": "OAUTH_TOKEN_EXPIRED"}, "message": "Oauth token is expired."}],
         "requestId": secrets.token_urlsafe(16)}]}}, 401)


def _hubspot_expired() -> Response:
    # https://developers.hubspot.com/docs/api/error-handling (category EXPIRED_AUTHENTICATION)
    return _json({"status": "error", "message": "The OAuth token used to make this call expired 0 hour(s) ago.",
                  "correlationId": str(uuid.uuid4()), "category": "EXPIRED_AUTHENTICATION"}, 401)


def _docusign_expired() -> Response:
    # https://developers.docusign.com/docs/esign-rest-api/esign101/error-codes/ (AUTHORIZATION_INVALID_TOKEN)
    return _json({"errorCode": "AUTHORIZATION_INVALID_TOKEN",
                  "message": "The access token provided is expired, revoked or malformed."}, 401)


def _salesforce_expired() -> Response:
    return _json([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}], 401)


EXPIRED = {"google_ads": _google_expired, "hubspot": _hubspot_expired, "docusign": _docusign_expired,
           "salesforce": _salesforce_expired}


async def _form(request: Request) -> dict[str, str]:
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))


def _bearer_answer(token: str, expires_in: int, **extra: object) -> Response:
    return _json({"access_token": token, "expires_in": expires_in, "token_type": "Bearer", **extra}, 200)


def google_routes(authority: TokenAuthority) -> list[Route]:
    """POST /token: Google's OAuth2 refresh-token grant."""
    client = OAUTH_CLIENTS["google_ads"]

    async def token(request: Request) -> Response:
        form = await _form(request)
        if form.get("grant_type") != "refresh_token":
            return _json({"error": "unsupported_grant_type", "error_description": f"Invalid grant_type: {form.get('grant_type', '')}"}, 400)
        if form.get("client_id") != client["client_id"] or form.get("client_secret") != client["client_secret"]:
            return _json({"error": "invalid_client", "error_description": "The OAuth client was not found."}, 401)
        if form.get("refresh_token") != client["refresh_token"]:
            return _json({"error": "invalid_grant", "error_description": "Token has been expired or revoked."}, 400)
        access, seconds = authority.issue("google_ads", LIFETIMES["google_ads"])
        return _bearer_answer(access, seconds, scope="https://www.googleapis.com/auth/adwords")

    return [Route("/token", token, methods=["POST"])]


def hubspot_routes(authority: TokenAuthority) -> list[Route]:
    """POST /v1/token (under /hubspot/oauth): HubSpot's refresh grant."""
    client = OAUTH_CLIENTS["hubspot"]

    def refused(status: str, message: str) -> Response:
        return _json({"status": status, "message": message, "correlationId": str(uuid.uuid4())}, 400)

    async def token(request: Request) -> Response:
        form = await _form(request)
        if form.get("grant_type") != "refresh_token":
            return refused("BAD_GRANT_TYPE", "grant_type must be one of authorization_code or refresh_token")
        if form.get("client_id") != client["client_id"]:
            return refused("BAD_CLIENT_ID", "missing or unknown client_id")
        if form.get("client_secret") != client["client_secret"]:
            return refused("BAD_CLIENT_SECRET", "missing or invalid client_secret")
        if form.get("refresh_token") != client["refresh_token"]:
            return refused("BAD_REFRESH_TOKEN", "missing or unknown refresh token")
        access, seconds = authority.issue("hubspot", LIFETIMES["hubspot"])
        return _json({"token_type": "bearer", "refresh_token": client["refresh_token"], "access_token": access,
                      "expires_in": seconds}, 200)

    return [Route("/v1/token", token, methods=["POST"])]


def docusign_routes(authority: TokenAuthority) -> list[Route]:
    """POST /oauth/token (under /docusign-account): DocuSign's JWT and refresh grants."""
    import jwt
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    client = OAUTH_CLIENTS["docusign"]
    public_key = load_pem_private_key(DOCUSIGN_PRIVATE_KEY.encode(), password=None).public_key()

    def refused(error: str, description: str | None = None) -> Response:
        body = {"error": error, **({"error_description": description} if description else {})}
        return _json(body, 400)

    async def token(request: Request) -> Response:
        form = await _form(request)
        grant = form.get("grant_type")
        if grant == JWT_BEARER:
            try:
                claims = jwt.decode(form.get("assertion", ""), public_key, algorithms=["RS256"],
                                    audience=request.url.hostname, options={"require": ["iss", "sub", "aud", "iat", "exp"]})
            except jwt.ExpiredSignatureError:
                return refused("invalid_grant", "expired")
            except jwt.InvalidAudienceError:
                return refused("invalid_grant", "invalid_audience")
            except jwt.PyJWTError:
                return refused("invalid_grant", "no_valid_keys_or_signatures")
            if claims["iss"] != client["integration_key"]:
                return refused("invalid_grant", "issuer_not_found")
            if claims["sub"] != client["user_id"]:
                return refused("invalid_grant", "user_not_found")
            access, seconds = authority.issue("docusign", LIFETIMES["docusign_jwt"])
            return _bearer_answer(access, seconds)
        if grant == "refresh_token":
            expected = base64.b64encode(f"{client['integration_key']}:{client['client_secret']}".encode()).decode()
            if request.headers.get("authorization") != f"Basic {expected}":
                return _json({"error": "invalid_client"}, 401)
            if form.get("refresh_token") != client["refresh_token"]:
                return refused("invalid_grant")
            access, seconds = authority.issue("docusign", LIFETIMES["docusign_refresh"])
            return _bearer_answer(access, seconds, refresh_token=client["refresh_token"])
        return refused("unsupported_grant_type")

    return [Route("/oauth/token", token, methods=["POST"])]


def salesforce_routes(authority: TokenAuthority) -> list[Route]:
    """POST /token (under /salesforce/services/oauth2): Salesforce's client-credentials grant; the
    instance URL it answers is the sandbox's /salesforce, on the host the request came to."""
    client = OAUTH_CLIENTS["salesforce"]

    def refused(error: str, description: str, status: int = 400) -> Response:
        return _json({"error": error, "error_description": description}, status)

    async def token(request: Request) -> Response:
        form = await _form(request)
        if form.get("grant_type") != "client_credentials":
            return refused("unsupported_grant_type", "grant type not supported")
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = request.headers.get("authorization", "")
        if basic.startswith("Basic "):
            client_id, _, secret = base64.b64decode(basic[6:]).decode("utf-8", "replace").partition(":")
        if client_id != client["client_id"]:
            return refused("invalid_client_id", "client identifier invalid")
        if secret != client["client_secret"]:
            return refused("invalid_client", "invalid client credentials")
        access, _ = authority.issue("salesforce", LIFETIMES["salesforce"])
        instance = f"{request.url.scheme}://{request.url.netloc}/salesforce"
        return _json({"access_token": access, "signature": base64.b64encode(secrets.token_bytes(32)).decode(),
                      "scope": "api", "instance_url": instance,
                      "id": f"{instance}/id/00DHb0000000001AAA/005Hb0000000001AAA", "token_type": "Bearer",
                      "issued_at": str(int(time.time() * 1000))}, 200)

    return [Route("/token", token, methods=["POST"])]
