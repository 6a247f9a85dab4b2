"""The HTTP core every system uses: client factory, auth on the configured origin only, retries.

`VendorClient.send` is the one place a request leaves the process. It waits for the account's
rate budget, attaches credentials only when the URL is on the configured origin, never follows
redirects, retries 429/5xx/dropped connections with backoff until a total time bound, and
counts requests, retries and rate-limit waits for the stream's report.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import random
import re
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import orjson

from connectors.auth import Auth, meta_token_problem
from connectors.budget import RateBudget, budget_for, budgets_dir
from connectors.limits import ACCOUNT_RATES, Endpoint, endpoint_rates, header_quotas, usage_hold_seconds
from connectors.config import HubConfig, SystemConfig
from connectors.decoding import decode_page
from connectors.errors import AuthError, BrokenPage, NotFoundError, RequestError, RetryExhausted, UnsafeLinkError
from connectors.redaction import MASK, SECRET_PARAMS, Redactor, userinfo_password
from connectors.retry import retry_after_seconds, retry_wait, should_retry
from connectors.versions import refused_version

log = logging.getLogger(__name__)

class _MaskSecretParams(logging.Filter):
    """httpx logs every request URL at INFO; mask credential query parameters in them."""

    _pattern = re.compile(r"(?i)\b(" + "|".join(sorted(SECRET_PARAMS)) + r")=[^&\s\"']*")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = Redactor().text(self._pattern.sub(lambda m: f"{m.group(1)}={MASK}", message))
        if masked != message:
            record.msg, record.args = masked, None
        return True


logging.getLogger("httpx").addFilter(_MaskSecretParams())

_FIX_BROKEN_PAGE = "; if the vendor keeps sending pages in this shape, report it to the vendor with the URL above"

# Errors that mean the exchange broke before a full response arrived: safe to retry a read.
_DROPPED = (httpx.TransportError, httpx.DecodingError)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle takes ~20 ms: once per process, not once per stream.
    return ssl.create_default_context()


def make_http_client(config: HubConfig, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """An httpx.Client with connect/read timeouts that never follows redirects."""
    timeout = httpx.Timeout(
        connect=config.connect_timeout_seconds,
        read=config.read_timeout_seconds,
        write=config.read_timeout_seconds,
        pool=config.connect_timeout_seconds,
    )
    return httpx.Client(timeout=timeout, follow_redirects=False, transport=transport, verify=_tls_context())


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with default ports made explicit: what "same origin" compares."""
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def _under(path: str, prefix: str) -> bool:
    """Whether URL path `path` lies under the base URL's path `prefix` (a whole segment, not a prefix of one)."""
    prefix = prefix.rstrip("/")
    return not prefix or path == prefix or path.startswith(prefix + "/")


def strip_secret_params(url: str) -> str:
    """`url` without credential query parameters (Meta's `paging.next` embeds `access_token`,
    https://developers.facebook.com/docs/graph-api/results): we authenticate with a header."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in query if k.lower() not in SECRET_PARAMS]
    return url if len(kept) == len(query) else urlunsplit(parts._replace(query=urlencode(kept)))


class VendorRefused(RequestError):
    """A 4xx the vendor will not change its mind about; `status` and `body` let a connector read why
    (e.g. Meta asking for less data, which the Meta connector answers by asking for less)."""

    def __init__(self, message: str, status: int, body: bytes) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


@dataclass
class RequestStats:
    """Counters for one stream's run (updated from every thread the stream fetches with)."""

    requests: int = 0
    retries: int = 0
    rate_limit_wait_seconds: float = 0.0  # waited for the account's budget (its pace and the vendor's pauses)
    throttled: int = 0  # answers that were the vendor's rate-limit refusal (429, Meta's throttle codes)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, requests: int = 0, retries: int = 0, waited: float = 0.0, throttled: int = 0) -> None:
        """Count requests, retries, seconds waited for the budget and rate-limit refusals."""
        with self._lock:
            self.requests += requests
            self.retries += retries
            self.rate_limit_wait_seconds += waited
            self.throttled += throttled


@dataclass(frozen=True)
class Response:
    """A successful response, body already read (and parsed, when JSON was expected: see decoding.py)."""

    status: int
    headers: httpx.Headers
    content: bytes
    url: str
    data: Any = None


class VendorClient:
    """Sends requests for one stream to one vendor system, with auth, budget and retries."""

    def __init__(
        self,
        system: SystemConfig,
        config: HubConfig,
        stream: str,
        auth_headers: Mapping[str, str],
        http: httpx.Client,
        stats: RequestStats | None = None,
        budget: RateBudget | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.system = system
        self.stream = stream
        self.stats = stats or RequestStats()
        self.redactor = Redactor(system.secrets + userinfo_password(system.base_url))
        self._config = config
        # A live Auth reads the (possibly short-lived) token on every request; plain headers stay as given.
        self._auth = auth_headers if isinstance(auth_headers, Auth) else dict(auth_headers)
        self._http = http
        self._origin = origin(system.base_url)
        self._prefix = urlsplit(system.base_url).path
        account = f"{system.base_url}#{hashlib.sha256('|'.join(system.secrets).encode()).hexdigest()[:16]}"
        scale = config.rate_limit_time_scale
        shared = budgets_dir(config.data_dir)
        rate = ACCOUNT_RATES.get(system.system)
        self._budget = budget or budget_for(system.system, account, config.requests_per_second, shared,
                                            rate.interval(scale) if rate else 0.0)
        # A kind of request with a limit of its own (HubSpot search, a Shippo endpoint) waits for its
        # endpoint's budget and the account's.
        self._endpoints: list[tuple[Endpoint, RateBudget]] = [
            (endpoint, RateBudget() if budget is not None else budget_for(
                f"{system.system}-{endpoint.name}", account, 0.0, shared, rate.interval(scale)))
            for endpoint, rate in endpoint_rates(system.system, system.secrets)
        ]
        self._time_scale = scale
        self._clock = clock
        self._sleep = sleep
        self._rng = rng
        if system.api_version_warning:
            log.warning("%s: %s", stream, system.api_version_warning)

    def url(self, path: str) -> str:
        """The absolute URL of a vendor path under the configured base URL."""
        return self.system.base_url + path

    def check_link(self, url: str) -> str:
        """`url` if it keeps the configured base URL's scheme, host, port and path prefix and
        carries no userinfo, else UnsafeLinkError: credentials go to the configured API only."""
        parts = urlsplit(url)
        problem = None
        if parts.username is not None or parts.password is not None:
            problem = "it carries a user name or password (user:pw@)"
        elif origin(url) != self._origin:
            problem = "it leaves the configured scheme, host and port"
        elif not _under(parts.path, self._prefix):
            problem = f"its path is outside the configured path {self._prefix!r}"
        if problem:
            raise UnsafeLinkError(
                f"{self.stream}: refusing to follow {self.redactor.url(url)}: {problem} of "
                f"{self.redactor.url(self.system.base_url)}; no credentials were sent. The vendor (or something "
                f"between us and it) handed out this link: check HUB_{self.system.system.upper()}_BASE_URL and the network path"
            )
        return url

    def follow(self, link: str) -> str:
        """A next link from a page, checked (check_link) and without credential query parameters."""
        return self.check_link(strip_secret_params(link))

    def send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        ok_statuses: tuple[int, ...] = (),
        parse: Callable[[bytes], Any] | None = decode_page,
    ) -> Response:
        """Send one request with retries; returns a 2xx (or an `ok_statuses`) response.

        A 2xx body that `parse` rejects (ValueError) counts as a broken exchange and is retried
        like a dropped connection: a truncated or malformed page must never be landed.
        """
        self.check_link(url)
        content = orjson.dumps(json) if json is not None else None
        started = self._clock()
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            headers, token = self._headers()
            if content is not None:
                headers["content-type"] = "application/json"
            self.stats.add(requests=1, waited=self._acquire(url))
            status: int | None = None
            body = b""
            reply_headers: httpx.Headers = httpx.Headers()
            try:
                reply = self._http.request(method, url, params=params, content=content, headers=headers)
                status, body, reply_headers = reply.status_code, reply.content, reply.headers
                final_url = str(reply.url)
                self._observe(reply_headers)
            except _DROPPED as exc:
                final_url = url
                problem = f"{type(exc).__name__}: {self.redactor.text(str(exc))}"
            else:
                if 200 <= status < 300:
                    try:
                        data = parse(body) if parse is not None else None
                        return Response(status, reply_headers, body, final_url, data)
                    except BrokenPage as exc:
                        problem = f"HTTP {status} with a broken page: {self.redactor.text(str(exc))}"
                        status = None  # retry it as a broken exchange
                    except ValueError as exc:
                        problem = f"HTTP {status} with a malformed body ({self.redactor.text(str(exc))})"
                        status = None
                elif status in ok_statuses:
                    return Response(status, reply_headers, body, final_url)
                else:
                    problem = f"HTTP {status}"
                    if status == 401 and not refreshed and isinstance(self._auth, Auth) and self._auth.refresh(token):
                        # A short-lived token ran out mid-stream: fetch a new one and send again at once,
                        # once per request (a second 401 means the credentials themselves are wrong).
                        refreshed = True
                        log.info("%s: %s answered 401; retrying with a fresh token", self.stream, self.redactor.url(final_url))
                        continue
            self._raise_unless_retryable(method, final_url, status, body)
            reason = should_retry(status, body) or "dropped"
            asked = retry_after_seconds(reply_headers, time.time(), body) if status is not None else None
            wait = retry_wait(asked, attempt, self._rng)
            elapsed = self._clock() - started
            if elapsed + wait > self._config.retry_max_seconds:
                raise RetryExhausted(
                    f"{self.stream}: gave up on {method} {self.redactor.url(final_url)} after "
                    f"{attempt} attempts in {elapsed:.1f}s (the next wait, {wait:.1f}s, would pass "
                    f"HUB_HTTP_RETRY_MAX_SECONDS={self._config.retry_max_seconds:g}); last status: {problem}. "
                    f"Nothing of this fetch was loaded and the stream's cursor did not move: run it again "
                    f"later{_FIX_BROKEN_PAGE if 'broken page' in problem else ''}"
                )
            if reason == "rate_limited":
                # Every stream of this account waits, not just us; acquire() counts the wait.
                self._budget.pause(wait)
                self.stats.add(throttled=1)
            else:
                self._sleep(wait)
            self.stats.add(retries=1)
            log.info(
                "%s: retry %d of %s %s in %.2fs (%s, %s)",
                self.stream, attempt, method, self.redactor.url(final_url), wait, reason, problem,
            )

    def _acquire(self, url: str) -> float:
        """Wait for the account's next slot (and its endpoint's, for one limited on its own); the seconds waited."""
        path = "/" + urlsplit(url).path.removeprefix(self._prefix).strip("/")
        waited = sum(budget.acquire() for endpoint, budget in self._endpoints if endpoint.matches(path))
        return waited + self._budget.acquire()

    def _observe(self, headers: httpx.Headers) -> None:
        """Let the account's budget pace itself from the vendor's rate-limit headers."""
        self._budget.observe(header_quotas(self.system.system, headers, time.time(), self._time_scale))
        hold = usage_hold_seconds(self.system.system, headers)
        if hold:
            self._budget.pause(hold)

    def _headers(self) -> tuple[dict[str, str], str | None]:
        """The headers for the next attempt and the bearer token among them (to drop it after a 401)."""
        if isinstance(self._auth, Auth):
            return self._auth.current()
        return dict(self._auth), None

    def _raise_unless_retryable(self, method: str, url: str, status: int | None, body: bytes) -> None:
        if status is None or should_retry(status, body):
            return
        where = f"{method} {self.redactor.url(url)}"
        snippet = self.redactor.text(body[:300].decode("utf-8", "replace"))
        version_fix = refused_version(self.system.system, status, body)
        if version_fix:
            raise RequestError(f"{self.stream}: {where} answered HTTP {status}: {snippet}. {version_fix}")
        token_problem = meta_token_problem(body) if self.system.system == "meta" else None
        if token_problem:
            raise AuthError(f"{self.stream}: {where} answered HTTP {status}. {token_problem}")
        if status in (401, 403):
            raise AuthError(
                f"{self.stream}: {self.system.system} rejected the credentials (HTTP {status}) at "
                f"{where}: check {', '.join(self.system.credential_vars)}"
            )
        if 300 <= status < 400:
            raise UnsafeLinkError(f"{self.stream}: {where} answered a redirect (HTTP {status}); redirects are not followed")
        if status == 404:
            raise NotFoundError(f"{self.stream}: {where} answered HTTP 404: {snippet}")
        raise VendorRefused(f"{self.stream}: {where} answered HTTP {status}: {snippet}", status, body)
