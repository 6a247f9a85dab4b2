"""Where a stream's bearer token comes from: a static token, or a short-lived one from a token endpoint.

A grant source asks the configured token URL (and no other host) for an access token, keeps it
until shortly before `expires_in` runs out, and drops it when the API answers 401 so the next
request fetches a fresh one. One source serves every thread of every stream of one account in
the process (`shared`), so a refresh happens once, not once per thread. Tokens, refresh tokens,
client secrets and private keys are never logged, never in metadata or errors.

Grants (each vendor's own documentation):
- OAuth2 refresh-token grant, Google: POST https://oauth2.googleapis.com/token
  (https://developers.google.com/identity/protocols/oauth2/web-server#offline), tokens ~1 h.
- HubSpot OAuth refresh: POST https://api.hubapi.com/oauth/v1/token, `grant_type=refresh_token`
  (https://developers.hubspot.com/docs/api-reference/legacy/authentication/oauth-tokens/v1/guide),
  30-minute tokens (https://developers.hubspot.com/changelog/upcoming-expiration-of-oauth-access-tokens-is-changing).
- DocuSign JWT grant: an RS256 assertion (iss integration key, sub user id, aud the account
  server's host, scope `signature impersonation`) to POST /oauth/token with
  `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`
  (https://developers.docusign.com/platform/auth/jwt-get-token), 1 h tokens; the refresh grant
  with the integration key and secret as Basic auth
  (https://developers.docusign.com/platform/auth/reference/obtain-access-token), 8 h tokens.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from connectors.errors import AuthError, RetryExhausted
from connectors.redaction import Redactor
from connectors.retry import retry_after_seconds, retry_wait, should_retry

TOKEN_ATTEMPTS = 4  # a token endpoint's 429/5xx/dropped connection is retried this often
REFRESH_MARGIN_SECONDS = 60.0  # fetch a new token this long before the old one runs out...
REFRESH_MARGIN_SHARE = 0.1  # ...or this share of its lifetime, when that is shorter
DOCUSIGN_SCOPE = "signature impersonation"


class TokenSource:
    """A bearer token for one account; `invalidate` after a 401 makes the next `token()` fetch anew."""

    secrets: tuple[str, ...] = ()

    def token(self) -> str:
        """The token to send now."""
        raise NotImplementedError

    def invalidate(self, stale: str) -> bool:
        """Forget `stale` after the API refused it; False when nothing new can be had (a static token)."""
        return False


@dataclass
class StaticToken(TokenSource):
    """A token taken as is from the environment (private app tokens, long-lived tokens)."""

    value: str = field(repr=False)

    def token(self) -> str:
        return self.value


@dataclass(frozen=True)
class Grant:
    """One token request: the form to post, extra headers, and what to say when it is refused."""

    name: str
    form: Callable[[], dict[str, str]]
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    fix: str = ""


@dataclass
class GrantToken(TokenSource):
    """A short-lived token from `token_url`, fetched before it expires and again after a 401."""

    system: str
    token_url: str
    grant: Grant = field(repr=False)
    secrets: tuple[str, ...] = field(default=(), repr=False)
    timeout: httpx.Timeout = field(default_factory=lambda: httpx.Timeout(10.0, read=60.0))
    retry_max_seconds: float = 300.0
    transport: httpx.BaseTransport | None = None
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    fetches: int = 0  # how many tokens were fetched (tests count refreshes by it)
    _token: str | None = field(default=None, repr=False)
    _expires_at: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def token(self) -> str:
        with self._lock:
            if self._token is None or self.clock() >= self._expires_at:
                self._fetch()
            return self._token  # type: ignore[return-value]

    def invalidate(self, stale: str) -> bool:
        with self._lock:
            if self._token == stale:  # another thread may have refreshed it already
                self._token = None
        return True

    def _fetch(self) -> None:
        redactor = Redactor(self.secrets)
        started = self.clock()
        attempt = 0
        with httpx.Client(timeout=self.timeout, follow_redirects=False, transport=self.transport) as http:
            while True:
                attempt += 1
                status: int | None = None
                try:
                    reply = http.post(self.token_url, data=self.grant.form(), headers=dict(self.grant.headers))
                    status, body = reply.status_code, reply.content
                except (httpx.TransportError, httpx.DecodingError) as exc:
                    body, problem = b"", f"{type(exc).__name__}: {redactor.text(str(exc))}"
                else:
                    problem = f"HTTP {status}"
                    if status == 200:
                        self._accept(body)
                        return
                    if not should_retry(status, body):
                        raise self._refused(status, body, redactor)
                wait = retry_wait(retry_after_seconds(reply.headers, time.time(), body) if status else None, attempt)
                if attempt >= TOKEN_ATTEMPTS or self.clock() - started + wait > self.retry_max_seconds:
                    raise RetryExhausted(
                        f"{self.system}: the token endpoint {self.token_url} did not answer after {attempt} attempts "
                        f"(last: {problem}); nothing was fetched or loaded: run again later"
                    )
                self.sleep(wait)

    def _accept(self, body: bytes) -> None:
        try:
            answer = orjson.loads(body)
            token = answer["access_token"]
            lifetime = float(answer.get("expires_in", 3600))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            raise AuthError(
                f"{self.system}: the token endpoint {self.token_url} answered 200 without an access_token and a "
                f"numeric expires_in: check that it is the vendor's token URL"
            ) from None
        if not isinstance(token, str) or not token:
            raise AuthError(f"{self.system}: the token endpoint {self.token_url} answered an empty access_token")
        margin = min(REFRESH_MARGIN_SECONDS, max(lifetime, 0.0) * REFRESH_MARGIN_SHARE)
        self._token, self._expires_at = token, self.clock() + max(lifetime, 0.0) - margin
        self.fetches += 1

    def _refused(self, status: int, body: bytes, redactor: Redactor) -> AuthError:
        try:
            answer = orjson.loads(body)
        except orjson.JSONDecodeError:
            answer = {}
        answer = answer if isinstance(answer, dict) else {}
        # OAuth2 errors are {"error", "error_description"} (RFC 6749 §5.2); HubSpot's are {"status", "message"}.
        said = ": ".join(str(answer[k]) for k in ("error", "error_description", "status", "message") if answer.get(k))
        said = redactor.text(said or body[:200].decode("utf-8", "replace"))
        return AuthError(
            f"{self.system}: the token endpoint {self.token_url} refused the {self.grant.name} (HTTP {status}: "
            f"{said}). {self.grant.fix}"
        )


_SHARED: dict[str, TokenSource] = {}
_SHARED_LOCK = threading.Lock()


def shared(key_parts: tuple[str, ...], build: Callable[[], TokenSource]) -> TokenSource:
    """The process's one token source for an account (its key hashed: the parts hold secrets)."""
    key = hashlib.sha256("\x00".join(key_parts).encode()).hexdigest()
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = build()
        return _SHARED[key]


def refresh_grant(client_id: str, client_secret: str, refresh_token: str, fix: str, basic_auth: bool = False) -> Grant:
    """The OAuth2 refresh-token grant; the client authenticates in the form (Google, HubSpot) or
    with HTTP Basic (DocuSign). A rotated refresh token in the answer is not needed: both vendors
    keep the old one valid for the next refresh."""
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    headers: dict[str, str] = {}
    if basic_auth:
        pair = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        headers["authorization"] = f"Basic {pair}"
    else:
        form.update(client_id=client_id, client_secret=client_secret)
    return Grant("refresh-token grant", lambda: dict(form), headers, fix)


def docusign_jwt_grant(
    integration_key: str, user_id: str, private_key: str, token_url: str, fix: str, now: Callable[[], float] = time.time
) -> Grant:
    """DocuSign's JWT grant: a fresh RS256 assertion per request, `aud` the account server's host."""
    import jwt  # PyJWT signs RS256 with `cryptography`; imported here so static-token runs skip it

    audience = urlsplit(token_url).hostname or ""

    def form() -> dict[str, str]:
        issued = int(now())
        claims: dict[str, Any] = {"iss": integration_key, "sub": user_id, "aud": audience, "iat": issued,
                                  "exp": issued + 3600, "scope": DOCUSIGN_SCOPE}
        assertion = jwt.encode(claims, private_key, algorithm="RS256")
        return {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}

    return Grant("JWT grant", form, {}, fix)
