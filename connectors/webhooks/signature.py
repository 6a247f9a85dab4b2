"""ShipStation's webhook signatures: RSA-SHA256 over `<timestamp>.<raw body>`, keys from its JWKS.

https://docs.shipstation.com/apis/docs/guides/webhooks-validation: every webhook carries
`x-shipengine-rsa-sha256-key-id`, `x-shipengine-rsa-sha256-signature` (base64) and
`x-shipengine-timestamp`; without them answer 404 (hide the endpoint), with a timestamp more than
5 minutes from now (either way) 400; verify on the raw body exactly as received, with the public
key of that id from ShipStation's JSON Web Key Set (https://api.shipengine.com/jwks).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from jwt import PyJWKClient, PyJWKClientError

KEY_ID = "x-shipengine-rsa-sha256-key-id"
SIGNATURE = "x-shipengine-rsa-sha256-signature"
TIMESTAMP = "x-shipengine-timestamp"


@dataclass(frozen=True)
class Refusal:
    """Why a webhook was refused: the HTTP status to answer, a counter name and the reason."""

    status: int
    kind: str
    reason: str


class Verifier:
    """Checks webhooks against the vendor's key set (fetched once, again for an unknown key id)."""

    def __init__(self, jwks_url: str, max_age_seconds: float) -> None:
        self.jwks_url = jwks_url
        self.max_age_seconds = max_age_seconds
        self._keys = PyJWKClient(jwks_url, cache_keys=True, timeout=10)

    def refusal(self, headers: Mapping[str, str], body: bytes, now: datetime | None = None) -> Refusal | None:
        """None when `body` is signed by the vendor within the allowed age, else why not."""
        key_id, signature, timestamp = (headers.get(name) for name in (KEY_ID, SIGNATURE, TIMESTAMP))
        if not key_id or not signature or not timestamp:
            return Refusal(404, "unsigned", f"no {KEY_ID}, {SIGNATURE} and {TIMESTAMP} headers")
        try:
            signed_at = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
            if signed_at.tzinfo is None:
                signed_at = signed_at.replace(tzinfo=timezone.utc)
        except ValueError:
            return Refusal(400, "stale", f"{TIMESTAMP} {timestamp[:40]!r} is no ISO 8601 time")
        age = abs(((now or datetime.now(timezone.utc)) - signed_at).total_seconds())
        if age > self.max_age_seconds:
            return Refusal(400, "stale", f"signed {age:.0f} s from now, more than HUB_WEBHOOKS_MAX_AGE_SECONDS="
                                         f"{self.max_age_seconds:g} (a replay, or a clock to set right)")
        try:
            key = self._keys.get_signing_key(key_id).key
        except PyJWKClientError as exc:
            return Refusal(401, "unknown_key", f"key id {key_id[:60]!r} is not in {self.jwks_url} ({exc})")
        if not isinstance(key, rsa.RSAPublicKey):
            return Refusal(401, "unknown_key", f"key id {key_id[:60]!r} is no RSA key")
        try:
            key.verify(base64.b64decode(signature, validate=True), timestamp.encode() + b"." + body,
                       padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, binascii.Error, ValueError):
            return Refusal(401, "bad_signature", "the signature does not match the body and timestamp")
        return None
