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
from urllib.parse import urlsplit

import httpx
import orjson

from connectors.budget import RateBudget, budget_for
from connectors.config import HubConfig, SystemConfig
from connectors.decoding import decode_page
from connectors.errors import AuthError, NotFoundError, RequestError, RetryExhausted, UnsafeLinkError
from connectors.redaction import MASK, SECRET_PARAMS, Redactor
from connectors.retry import backoff, retry_after_seconds, should_retry

log = logging.getLogger(__name__)

class _MaskSecretParams(logging.Filter):
    """httpx logs every request URL at INFO; mask credential query parameters in them."""

    _pattern = re.compile(r"(?i)\b(" + "|".join(sorted(SECRET_PARAMS)) + r")=[^&\s\"']*")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = self._pattern.sub(lambda m: f"{m.group(1)}={MASK}", message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


logging.getLogger("httpx").addFilter(_MaskSecretParams())

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


@dataclass
class RequestStats:
    """Counters for one stream's run (updated from every thread the stream fetches with)."""

    requests: int = 0
    retries: int = 0
    rate_limit_wait_seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, requests: int = 0, retries: int = 0, waited: float = 0.0) -> None:
        """Count requests, retries and seconds waited on rate limits."""
        with self._lock:
            self.requests += requests
            self.retries += retries
            self.rate_limit_wait_seconds += waited


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
        self.redactor = Redactor(system.secrets)
        self._config = config
        self._auth = dict(auth_headers)
        self._http = http
        self._origin = origin(system.base_url)
        account = hashlib.sha256("|".join(system.secrets).encode()).hexdigest()[:16]
        self._budget = budget or budget_for(
            system.system, f"{system.base_url}#{account}", config.requests_per_second
        )
        self._clock = clock
        self._sleep = sleep
        self._rng = rng

    def url(self, path: str) -> str:
        """The absolute URL of a vendor path under the configured base URL."""
        return self.system.base_url + path

    def check_link(self, url: str) -> str:
        """`url` if it is on the configured origin, else UnsafeLinkError (credentials stay home)."""
        if origin(url) != self._origin:
            raise UnsafeLinkError(
                f"{self.stream}: refusing to follow {self.redactor.url(url)}: it leaves the "
                f"configured origin {self.redactor.url(self.system.base_url)}"
            )
        return url

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
        headers = dict(self._auth)
        if content is not None:
            headers["content-type"] = "application/json"
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            self.stats.add(requests=1, waited=self._budget.acquire())
            status: int | None = None
            body = b""
            reply_headers: httpx.Headers = httpx.Headers()
            try:
                reply = self._http.request(method, url, params=params, content=content, headers=headers)
                status, body, reply_headers = reply.status_code, reply.content, reply.headers
                final_url = str(reply.url)
            except _DROPPED as exc:
                final_url = url
                problem = f"{type(exc).__name__}: {self.redactor.text(str(exc))}"
            else:
                if 200 <= status < 300:
                    try:
                        data = parse(body) if parse is not None else None
                        return Response(status, reply_headers, body, final_url, data)
                    except ValueError as exc:
                        problem = f"HTTP {status} with a malformed body ({exc})"
                        status = None  # retry it as a broken exchange
                elif status in ok_statuses:
                    return Response(status, reply_headers, body, final_url)
                else:
                    problem = f"HTTP {status}"
            self._raise_unless_retryable(method, final_url, status, body)
            reason = should_retry(status, body) or "dropped"
            asked = retry_after_seconds(reply_headers, time.time()) if status is not None else None
            wait = asked if asked is not None else backoff(attempt, self._rng)
            elapsed = self._clock() - started
            if elapsed + wait > self._config.retry_max_seconds:
                raise RetryExhausted(
                    f"{self.stream}: gave up on {method} {self.redactor.url(final_url)} after "
                    f"{attempt} attempts in {elapsed:.1f}s; last status: {problem}"
                )
            if reason == "rate_limited":
                # Every stream of this account waits, not just us; acquire() counts the wait.
                self._budget.pause(wait)
            else:
                self._sleep(wait)
            self.stats.add(retries=1)
            log.info(
                "%s: retry %d of %s %s in %.2fs (%s, %s)",
                self.stream, attempt, method, self.redactor.url(final_url), wait, reason, problem,
            )

    def _raise_unless_retryable(self, method: str, url: str, status: int | None, body: bytes) -> None:
        if status is None or should_retry(status, body):
            return
        where = f"{method} {self.redactor.url(url)}"
        snippet = self.redactor.text(body[:300].decode("utf-8", "replace"))
        if status in (401, 403):
            raise AuthError(
                f"{self.stream}: {self.system.system} rejected the credentials (HTTP {status}) at "
                f"{where}: check {', '.join(self.system.credential_vars)}"
            )
        if 300 <= status < 400:
            raise UnsafeLinkError(f"{self.stream}: {where} answered a redirect (HTTP {status}); redirects are not followed")
        if status == 404:
            raise NotFoundError(f"{self.stream}: {where} answered HTTP 404: {snippet}")
        raise RequestError(f"{self.stream}: {where} answered HTTP {status}: {snippet}")
