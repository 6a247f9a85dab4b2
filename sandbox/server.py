"""Serve the sandbox over HTTP on loopback, in this process or as a managed subprocess."""

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx

from sandbox.apis.app import build_app
from sandbox.apis.common import META_MAX_ROWS, DroppedConnection, Sandbox
from sandbox.apis.faults import parse_faults
from sandbox.apis.limits import DEFAULT_TIME_SCALE, Limiter
from sandbox.apis.oauth import TokenAuthority
from sandbox.apis.world import World
from sandbox.world import DEFAULT_AS_OF
from sandbox.world.store import ensure_world

log = logging.getLogger(__name__)
READY_TIMEOUT_S = 120.0  # generous: a first run may generate a medium world before serving


def make_sandbox(seed: int, scale: str, as_of: date | None = None, faults: str | None = None,
                 data_dir: Path | str | None = None, slow_seconds: float = 2.0,
                 retry_after: str | None = None, version_date: date | None = None,
                 meta_max_rows: int = META_MAX_ROWS, token_seconds: float | None = None,
                 token_uses: int | None = None, search_lag_seconds: int | None = None,
                 time_scale: float = DEFAULT_TIME_SCALE, limits: bool = True) -> Sandbox:
    """The sandbox state for (seed, scale), generating the world store when missing (`limits`: the
    vendors' rate limits enforced)."""
    plan = parse_faults(faults, seed)  # before generating: a typo should not cost a world build
    if search_lag_seconds is not None and search_lag_seconds < 0:
        raise ValueError(f"--hubspot-search-lag {search_lag_seconds}: use 0 (search sees every write at once) or more seconds")
    limiter = Limiter(time_scale, enabled=limits)  # checks the scale before a world build too
    path = ensure_world(seed, scale, data_dir)
    return Sandbox(World(path, as_of or DEFAULT_AS_OF), plan, slow_seconds, retry_after, version_date,
                   meta_max_rows, TokenAuthority(token_seconds, token_uses), search_lag_seconds=search_lag_seconds,
                   limits=limiter)


class _QuietDrops(logging.Filter):
    """Hide uvicorn's traceback for the connections the 'drop' fault cuts on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DroppedConnection)


def serve(host: str, port: int, sandbox: Sandbox) -> None:
    """Run the app with uvicorn until interrupted."""
    import uvicorn

    logging.getLogger("uvicorn.error").addFilter(_QuietDrops())
    log.info("serving %s at http://%s:%d (clock %s)", sandbox.world.path.name, host, port,
             sandbox.world.as_of)
    uvicorn.run(build_app(sandbox), host=host, port=port, log_level="warning", access_log=False)


def free_port() -> int:
    """A free TCP port on loopback (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RunningSandbox:
    """Handle on a sandbox server: its base URL and its admin endpoints."""

    url: str
    process: subprocess.Popen

    def set_clock(self, as_of: date | str) -> None:
        """Move the world's clock (POST /_admin/clock)."""
        value = as_of.isoformat() if isinstance(as_of, date) else as_of
        httpx.post(f"{self.url}/_admin/clock", json={"as_of": value}, timeout=10).raise_for_status()

    def stats(self) -> dict[str, dict[str, int]]:
        """Request counts per vendor and path template (GET /_admin/stats)."""
        response = httpx.get(f"{self.url}/_admin/stats", timeout=10)
        response.raise_for_status()
        return response.json()["requests"]

    def dispatch_webhooks(self, since: str | None = None, until: str | None = None) -> dict:
        """Send ShipStation track events for the tracking written in [since, until) (default: since the
        last dispatch, or the day before the clock, up to the clock); the counts sent and failed."""
        body = {k: v for k, v in (("since", since), ("until", until)) if v}
        response = httpx.post(f"{self.url}/shipstation/_admin/webhooks/dispatch", json=body, timeout=600)
        response.raise_for_status()
        return response.json()

    def rate_limited(self) -> dict[str, int]:
        """Requests per vendor answered with the vendor's rate-limit refusal (GET /_admin/stats)."""
        response = httpx.get(f"{self.url}/_admin/stats", timeout=10)
        response.raise_for_status()
        return response.json()["rate_limited"]


@contextmanager
def running_sandbox(seed: int = 1, scale: str = "tiny", as_of: date | str | None = None,
                    faults: str | None = None, data_dir: Path | str | None = None,
                    slow_seconds: float = 2.0, retry_after: str | None = None,
                    version_date: date | str | None = None, meta_max_rows: int | None = None,
                    token_seconds: float | None = None, token_uses: int | None = None,
                    search_lag_seconds: int | None = None, time_scale: float | None = None,
                    limits: bool = True) -> Iterator[RunningSandbox]:
    """Start `python -m sandbox serve` on a free loopback port, wait for /_admin/health, stop it on exit."""
    ensure_world(seed, scale, data_dir)  # generate here so a failure shows its own traceback
    port = free_port()
    cmd = [sys.executable, "-m", "sandbox", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--seed", str(seed), "--scale", scale, "--slow-seconds", str(slow_seconds)]
    if as_of is not None:
        cmd += ["--as-of", as_of.isoformat() if isinstance(as_of, date) else as_of]
    if faults:
        cmd += ["--faults", faults]
    if retry_after is not None:
        cmd += [f"--retry-after={retry_after}"]  # one argument: a value like -5 is not an option
    if data_dir is not None:
        cmd += ["--data-dir", str(data_dir)]
    if version_date is not None:
        cmd += ["--version-date", version_date.isoformat() if isinstance(version_date, date) else version_date]
    if meta_max_rows is not None:
        cmd += ["--meta-max-rows", str(meta_max_rows)]
    if token_seconds is not None:
        cmd += ["--token-seconds", str(token_seconds)]
    if token_uses is not None:
        cmd += ["--token-uses", str(token_uses)]
    if search_lag_seconds is not None:
        cmd += [f"--hubspot-search-lag={search_lag_seconds}"]
    if time_scale is not None:
        cmd += ["--time-scale", str(time_scale)]
    if not limits:
        cmd += ["--no-limits"]
    process = subprocess.Popen(cmd, env=os.environ.copy())
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process)
        yield RunningSandbox(url, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    with httpx.Client(timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"sandbox server exited with code {process.returncode} before it was ready")
            try:
                if client.get(f"{url}/_admin/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            # Poll again right away after a short wait on the socket, not a blind fixed sleep.
            time.sleep(0.05)
    raise TimeoutError(f"sandbox at {url} not ready after {READY_TIMEOUT_S}s")
