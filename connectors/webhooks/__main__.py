"""`python -m connectors.webhooks [--register PUBLIC_URL]`: receive ShipStation's tracking webhooks.

Listens on HUB_WEBHOOKS_HOST:HUB_WEBHOOKS_PORT (default 127.0.0.1:8790) for POST /shipstation/track,
verifies each event with the keys at HUB_SHIPSTATION_WEBHOOK_JWKS_URL and journals it under
HUB_DATA_DIR/landing/_journal/shipstation__tracking for the next nightly; GET /stats counts what was
journaled and refused. `--register URL` first points the account's track webhook at
URL + /shipstation/track (URL: how ShipStation reaches this receiver, e.g. through a proxy).
"""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn

from connectors.config import HubConfig
from connectors.errors import ConfigError, RequestError
from connectors.webhooks.receiver import TRACK_PATH, Receiver
from connectors.webhooks.registration import register_track_webhook
from connectors.webhooks.signature import Verifier


def main(argv: list[str] | None = None) -> int:
    """Register (when asked) and serve until interrupted; 2 on a settings mistake."""
    parser = argparse.ArgumentParser(prog="python -m connectors.webhooks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--register", metavar="PUBLIC_URL", default=None,
                        help="the receiver's URL as ShipStation reaches it; the track webhook is pointed at it first")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    try:
        config = HubConfig.from_env()
        settings = config.settings
        assert settings is not None
        if args.register:
            print(register_track_webhook(config, args.register.rstrip("/") + TRACK_PATH), flush=True)
    except (ConfigError, RequestError) as exc:
        print(f"python -m connectors.webhooks: {exc}", file=sys.stderr)
        return 2
    receiver = Receiver(Verifier(settings.shipstation_webhook_jwks_url, settings.webhooks_max_age_seconds),
                        config.landing_dir)
    print(f"receiving ShipStation track webhooks at http://{settings.webhooks_host}:{settings.webhooks_port}"
          f"{TRACK_PATH}", flush=True)
    uvicorn.run(receiver.app(), host=settings.webhooks_host, port=settings.webhooks_port, log_level="warning",
                access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
