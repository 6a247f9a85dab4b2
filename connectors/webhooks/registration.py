"""Registers the receiver's URL for ShipStation's `track` event (one webhook per event and account).

`GET/POST /v2/environment/webhooks`, `PUT /v2/environment/webhooks/{webhook_id}` with
`{"event": "track", "url": ...}` (the v2 spec, /work/shared/specs/shipstation/openapi.yaml,
https://docs.shipstation.com/apis/docs/guides/webhooks-overview), through the same client,
credentials and rate budget as the streams.
"""

from __future__ import annotations

import orjson

from connectors.auth import auth_headers
from connectors.config import HubConfig
from connectors.http import VendorClient, make_http_client

EVENT = "track"


def register_track_webhook(config: HubConfig, url: str) -> str:
    """Point the account's `track` webhook at `url` (created, moved or kept); what was done, in words."""
    system = config.system("shipstation")
    with make_http_client(config) as http:
        client = VendorClient(system, config, "shipstation__webhooks", auth_headers(system), http)
        hooks = client.send("GET", client.url("/v2/environment/webhooks"), parse=orjson.loads).data
        existing = next((h for h in hooks if isinstance(h, dict) and h.get("event") == EVENT), None)
        if existing is None:
            created = client.send("POST", client.url("/v2/environment/webhooks"), json={"event": EVENT, "url": url},
                                  parse=orjson.loads).data
            return f"registered webhook {created.get('webhook_id')} for the track event at {url}"
        if existing.get("url") == url:
            return f"webhook {existing.get('webhook_id')} for the track event already points at {url}"
        client.send("PUT", client.url(f"/v2/environment/webhooks/{existing['webhook_id']}"), json={"url": url},
                    parse=None)
        return f"webhook {existing.get('webhook_id')} for the track event moved from {existing.get('url')} to {url}"
