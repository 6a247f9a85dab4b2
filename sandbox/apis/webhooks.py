"""ShipStation v2 tracking webhooks: registration, the signing key set and signed track events.

- Registration: `POST/GET /v2/environment/webhooks`, `GET/PUT/DELETE /v2/environment/webhooks/{id}`
  with `{"event": "track", "url": ...}` (the v2 spec's create_webhook_request_body and webhook_event,
  /work/shared/specs/shipstation/openapi.yaml); one webhook per event, a second is 409
  `webhook_event_type_conflict` (the spec's error code).
- Events: `{"resource_url": ".../v2/labels/{label_id}/track", "resource_type": "TRACK_EVENT_V2",
  "data": <the label's tracking>}` (https://docs.shipstation.com/apis/docs/guides/webhooks-schemas),
  POSTed to the registered URL whenever a label's tracking changes: `POST /shipstation/_admin/webhooks/dispatch`
  sends those of the tracking versions written between two instants of the world (default: since the last
  dispatch, or the day before the clock, up to the clock).
- Signature: RSA-SHA256 in `x-shipengine-rsa-sha256-signature` (base64) with `x-shipengine-rsa-sha256-key-id`
  and `x-shipengine-timestamp` (https://docs.shipstation.com/apis/docs/guides/webhooks-validation); the
  signed string is `<timestamp>.<raw body>` and the public keys a JSON Web Key Set (ShipStation's is
  https://api.shipengine.com/jwks; the sandbox serves its own at `/shipstation/jwks`).
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from jwt.algorithms import RSAAlgorithm

TRACK_EVENT = "track"
EVENTS = ("batch", "carrier_connected", "order_source_refresh_complete", "rate", "report_complete",
          "sales_orders_imported", "track")  # the spec's webhook_event
RESOURCE_TYPE = "TRACK_EVENT_V2"
KEY_ID = "sandbox-webhooks-1"
SEND_TIMEOUT_S = 10.0


def signed_headers(private_key: rsa.RSAPrivateKey, key_id: str, body: bytes, at: datetime | None = None) -> dict[str, str]:
    """The three signature headers ShipStation sends with `body` (signed now unless `at` is given)."""
    timestamp = (at or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    signature = private_key.sign(timestamp.encode() + b"." + body, padding.PKCS1v15(), hashes.SHA256())
    return {"x-shipengine-rsa-sha256-key-id": key_id,
            "x-shipengine-rsa-sha256-signature": base64.b64encode(signature).decode(),
            "x-shipengine-timestamp": timestamp, "content-type": "application/json"}


@dataclass
class WebhookHub:
    """The account's webhooks, its signing key, and what was sent."""

    hooks: dict[str, dict] = field(default_factory=dict)  # webhook_id -> the webhook object
    sent: int = 0
    failed: int = 0
    last_until: str | None = None  # where the next dispatch starts by default
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @cached_property
    def private_key(self) -> rsa.RSAPrivateKey:
        """Made on first use: a sandbox that sends no webhook spends nothing on a key."""
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> dict:
        """The public key set receivers verify with."""
        jwk = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        return {"keys": [{**jwk, "kid": KEY_ID, "use": "sig", "alg": "RS256"}]}

    def create(self, event: str, url: str, headers: list[dict] | None) -> tuple[dict | None, str | None]:
        """(the new webhook, None) or (None, the conflict) when `event` already has one."""
        with self._lock:
            if any(h["event"] == event for h in self.hooks.values()):
                return None, f"A webhook for the '{event}' event already exists."
            hook = {"webhook_id": f"{next(self._ids)}", "url": url, "event": event, "headers": headers or []}
            self.hooks[hook["webhook_id"]] = hook
            return hook, None

    def targets(self, event: str) -> list[dict]:
        """The webhooks registered for `event`."""
        with self._lock:
            return [h for h in self.hooks.values() if h["event"] == event]

    def send(self, events: list[tuple[str, bytes]], resource_base: str) -> dict[str, int]:
        """POST one signed track event per (label id, tracking body) to every `track` webhook, in order."""
        counts = {"sent": 0, "failed": 0}
        targets = self.targets(TRACK_EVENT)
        with httpx.Client(timeout=SEND_TIMEOUT_S, follow_redirects=False) as client:
            for label_id, tracking in events:
                body = (b'{"resource_url":' + json.dumps(f"{resource_base}/v2/labels/{label_id}/track").encode()
                        + b',"resource_type":"' + RESOURCE_TYPE.encode() + b'","data":' + tracking + b"}")
                for hook in targets:
                    headers = {**{h["key"]: h["value"] for h in hook["headers"]},
                               **signed_headers(self.private_key, KEY_ID, body)}
                    try:
                        ok = client.post(hook["url"], content=body, headers=headers).is_success
                    except httpx.HTTPError:
                        ok = False
                    counts["sent" if ok else "failed"] += 1
        with self._lock:
            self.sent += counts["sent"]
            self.failed += counts["failed"]
        return {**counts, "events": len(events), "webhooks": len(targets)}
