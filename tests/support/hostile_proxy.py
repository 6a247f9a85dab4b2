"""A loopback HTTP proxy between the connectors and the sandbox that corrupts chosen records.

The hub is pointed at it through the `HUB_<SYSTEM>_BASE_URL` variables (prefix kept): every request
is forwarded to the sandbox as it came, and every JSON answer whose path matches a rewrite has
that rewrite applied to each object in it before it goes back. Absolute sandbox links in a body
(Meta's `paging.next`, DocuSign's `nextUri`, ShipStation's `links.next.href`) are turned into
proxy links, so a followed link stays on the configured origin. `corrupting = False` passes every
answer through untouched, as a vendor that fixed its data would send it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.server import free_port

# Hop-by-hop headers and those httpx already acted on (it decoded the body).
DROPPED_HEADERS = {"host", "content-length", "content-encoding", "transfer-encoding", "connection"}


@dataclass
class Rewrite:
    """Changes `edit(obj)` makes to every JSON object of answers whose path contains `path_part`.

    `edit` returns True when it changed the object; `applied` counts those, so a test can tell a
    rewrite that never met its record from one that did.
    """

    name: str
    path_part: str
    edit: Callable[[dict[str, Any]], bool]
    applied: int = 0


@dataclass
class HostileProxy:
    """The running proxy: its URL, the rewrites it applies and whether it applies them."""

    url: str
    upstream: str
    rewrites: list[Rewrite]
    corrupting: bool = True
    forwarded: int = field(default=0)

    def rewrite_body(self, path: str, body: bytes) -> bytes:
        """The answer body as the hub should see it: links on the proxy, chosen records corrupted."""
        text = body.decode("utf-8").replace(self.upstream, self.url)
        active = [r for r in self.rewrites if r.path_part in path] if self.corrupting else []
        if not active:
            return text.encode("utf-8")
        data = json.loads(text)
        for obj in _objects(data):
            for rewrite in active:
                if rewrite.edit(obj):
                    rewrite.applied += 1
        return json.dumps(data).encode("utf-8")


def _objects(data: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in `data`, outermost first."""
    if isinstance(data, dict):
        yield data
        for value in data.values():
            yield from _objects(value)
    elif isinstance(data, list):
        for value in data:
            yield from _objects(value)


def _app(proxy: HostileProxy) -> Starlette:
    client = httpx.AsyncClient(base_url=proxy.upstream, timeout=30.0)

    async def forward(request: Request) -> Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in DROPPED_HEADERS}
        upstream = await client.request(
            request.method, request.url.path, params=request.url.query or None,
            content=await request.body(), headers=headers,
        )
        proxy.forwarded += 1
        body = upstream.content
        if "json" in upstream.headers.get("content-type", ""):
            body = proxy.rewrite_body(request.url.path, body)
        kept = {k: v for k, v in upstream.headers.items() if k.lower() not in DROPPED_HEADERS}
        return Response(body, status_code=upstream.status_code, headers=kept)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await client.aclose()

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return Starlette(routes=[Route("/{path:path}", forward, methods=methods)], lifespan=lifespan)


@contextmanager
def running_hostile_proxy(upstream: str, rewrites: list[Rewrite]) -> Iterator[HostileProxy]:
    """Serve a HostileProxy in front of `upstream` on 127.0.0.1 for the duration of the block."""
    port = free_port()
    proxy = HostileProxy(url=f"http://127.0.0.1:{port}", upstream=upstream.rstrip("/"), rewrites=rewrites)
    server = uvicorn.Server(uvicorn.Config(_app(proxy), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="hostile-proxy", daemon=True)
    thread.start()
    try:
        started = threading.Event()
        while not server.started and thread.is_alive():
            started.wait(0.01)  # uvicorn sets `started` once it listens; nothing to await on
        if not server.started:
            raise RuntimeError("the hostile proxy did not start")
        yield proxy
    finally:
        server.should_exit = True
        thread.join(timeout=10)
