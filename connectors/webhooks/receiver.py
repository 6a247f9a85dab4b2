"""The receiver of ShipStation's tracking webhooks: verify, then journal each event for the next nightly.

A verified `TRACK_EVENT_V2` (https://docs.shipstation.com/apis/docs/guides/webhooks-schemas; ShipEngine
calls it `API_TRACK`) carries the label's tracking, the body `/v2/labels/{label_id}/track` answers,
under `data`, and the label in `resource_url`. It is journaled as that label's `/track` answer
(journal.push): the next tracking run lands it like any answer and asks the API only for the
labels no event told it about. Anything else is refused with the reason, counted by kind
(GET /stats), logged without its body, and never journaled.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from pathlib import Path

import anyio.to_thread
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.journal import push
from connectors.webhooks.signature import Refusal, Verifier

log = logging.getLogger(__name__)
STREAM = "shipstation__tracking"
TRACK_PATH = "/shipstation/track"  # where the webhook is registered, under the receiver's public URL
RESOURCE_TYPES = ("TRACK_EVENT_V2", "API_TRACK")
LABEL_IN_URL = re.compile(r"/labels/([A-Za-z0-9_-]{1,64})/track/?$")
MAX_BODY = 1 << 20  # a track event is a few kB; more is no event of ours


class Receiver:
    """Verifies events and journals the good ones under `landing_dir`; counts both."""

    def __init__(self, verifier: Verifier, landing_dir: Path) -> None:
        self.verifier = verifier
        self.landing_dir = landing_dir
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def receive(self, headers: dict[str, str], body: bytes) -> Refusal | None:
        """Journal one event, or say why not."""
        refusal = self.verifier.refusal(headers, body) or _not_a_track_event(body)
        if refusal is None:
            event = orjson.loads(body)
            label_id = LABEL_IN_URL.search(event["resource_url"]).group(1)  # type: ignore[union-attr]
            push(self.landing_dir, STREAM, label_id, orjson.dumps(event["data"]))
        with self._lock:
            self.counts["accepted" if refusal is None else f"refused_{refusal.kind}"] += 1
        if refusal is not None:
            log.warning("%s webhook refused (HTTP %d): %s; nothing journaled", STREAM, refusal.status, refusal.reason)
        return refusal

    def app(self) -> Starlette:
        """POST /shipstation/track for events, GET /stats for the counts."""
        async def track(request: Request) -> Response:
            body = await request.body()
            if len(body) > MAX_BODY:
                refusal: Refusal | None = Refusal(413, "too_large", f"{len(body)} bytes")
                with self._lock:
                    self.counts["refused_too_large"] += 1
            else:
                # verification may fetch the key set: off the event loop
                refusal = await anyio.to_thread.run_sync(self.receive, dict(request.headers), body)
            if refusal is None:
                return JSONResponse({"status": "journaled"})
            return JSONResponse({"error": refusal.reason}, refusal.status)

        async def stats(request: Request) -> Response:
            with self._lock:
                return JSONResponse(dict(self.counts))

        return Starlette(routes=[Route(TRACK_PATH, track, methods=["POST"]), Route("/stats", stats)])


def _not_a_track_event(body: bytes) -> Refusal | None:
    """None for a track event whose label and tracking can be read, else why not (signed, but not ours)."""
    try:
        event = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return Refusal(400, "not_a_track_event", f"the body is no JSON ({exc})")
    if not isinstance(event, dict) or event.get("resource_type") not in RESOURCE_TYPES:
        kind = event.get("resource_type") if isinstance(event, dict) else type(event).__name__
        return Refusal(400, "not_a_track_event", f"resource_type {str(kind)[:40]!r} is not one of "
                                                 f"{', '.join(RESOURCE_TYPES)}: register this URL for the track event only")
    if not isinstance(event.get("resource_url"), str) or not LABEL_IN_URL.search(event["resource_url"]):
        return Refusal(400, "not_a_track_event", f"resource_url {str(event.get('resource_url'))[:80]!r} names no "
                                                 f"label (…/labels/<label_id>/track)")
    if not isinstance(event.get("data"), dict):
        return Refusal(400, "not_a_track_event", "the event has no tracking object under data")
    return None
