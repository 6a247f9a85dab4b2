"""ShipStation tracking webhooks end to end over real HTTP: the sandbox signs and POSTs track events,
`python -m connectors.webhooks` verifies and journals them, the next nightly lands them instead of
asking `/track`, forged events are refused and counted and never land, and the marts equal the truth.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import httpx
import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from sandbox.apis.webhooks import KEY_ID, signed_headers
from sandbox.server import free_port, running_sandbox
from sandbox.truth import compute_truth
from support.dbt_harness import dbt, differences, ingest_everything, mart_rows, sandbox_connector_env, truth_rows

REPO = Path(__file__).resolve().parents[2]
SEED = 3
DAY_ONE = date(2027, 1, 3)  # three labels of seed 3 are delivered that day
DAY_TWO = DAY_ONE + timedelta(days=1)
TRACK = "/v2/labels/{label_id}/track"
BUILD = ["build", "--exclude", "test_type:data", "test_type:unit"]


@contextmanager
def receiver(env: dict[str, str], port: int) -> Iterator[str]:
    """`python -m connectors.webhooks --register <its URL>` until the block ends; yields its URL."""
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen([sys.executable, "-m", "connectors.webhooks", "--register", url], env=env, cwd=REPO)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"the receiver exited with {process.returncode}"
            try:
                if httpx.get(f"{url}/stats", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the receiver did not answer within 60 s"
                time.sleep(0.05)  # a poll interval while it starts, not a wait for a result
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _track_requests(sandbox) -> int:
    return sandbox.stats().get("shipstation", {}).get(TRACK, 0)


def _forged(label_id: str, at: datetime, key_id: str, key: rsa.RSAPrivateKey) -> tuple[bytes, dict[str, str]]:
    """A track event claiming `label_id` delivered, signed with a key that is not the vendor's."""
    body = orjson.dumps({"resource_url": f"https://api.shipstation.com/v2/labels/{label_id}/track",
                         "resource_type": "TRACK_EVENT_V2",
                         "data": {"status_code": "DE", "actual_delivery_date": "2026-10-31T08:00:00Z", "events": []}})
    return body, signed_headers(key, key_id, body, at)


def test_tracking_webhooks_replace_track_requests_and_forged_events_never_land(tmp_path: Path, monkeypatch) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    with running_sandbox(seed=SEED, scale="tiny", as_of=DAY_ONE, data_dir=tmp_path / "worlds") as sandbox:
        env = {**sandbox_connector_env(sandbox.url, tmp_path, DAY_ONE), "HUB_WEBHOOKS_PORT": str(free_port()),
               "HUB_SHIPSTATION_WEBHOOK_JWKS_URL": f"{sandbox.url}/shipstation/jwks"}
        with receiver({**os.environ, **env}, int(env["HUB_WEBHOOKS_PORT"])) as url:
            hooks = httpx.get(f"{sandbox.url}/shipstation/v2/environment/webhooks",
                              headers={"API-Key": env["HUB_SHIPSTATION_API_KEY"]}).json()
            assert [(h["event"], h["url"]) for h in hooks] == [("track", f"{url}/shipstation/track")]
            ingest_everything(env, run_id=f"night-{DAY_ONE}")

            # The day passes: the vendor pushes every tracking change of DAY_ONE to the receiver.
            sandbox.set_clock(DAY_TWO)
            sent = sandbox.dispatch_webhooks()
            assert sent["failed"] == 0 and sent["sent"] == sent["events"] > 0
            # Forged events about a label still in transit: unsigned, signed with another key under the
            # vendor's key id, with an unknown key id, and a replay of an hour ago.
            with duckdb.connect(str(warehouse)) as con:
                in_transit = con.execute("select _pk from raw.shipstation__labels where _record->>'tracking_status' "
                                         "<> 'delivered' order by _pk limit 1").fetchone()[0]
            mine = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            now = datetime.now(timezone.utc)
            forged = [_forged(in_transit, now, KEY_ID, mine), _forged(in_transit, now, "someone-else", mine),
                      _forged(in_transit, now - timedelta(hours=1), KEY_ID, mine)]
            unsigned = forged[0][0], {"content-type": "application/json"}
            statuses = [httpx.post(f"{url}/shipstation/track", content=body, headers=headers).status_code
                        for body, headers in [unsigned, *forged]]
            assert statuses == [404, 401, 401, 400]
            counts = httpx.get(f"{url}/stats").json()
        assert counts == {"accepted": sent["sent"], "refused_unsigned": 1, "refused_bad_signature": 1,
                          "refused_unknown_key": 1, "refused_stale": 1}

        before = _track_requests(sandbox)
        night_two = {**sandbox_connector_env(sandbox.url, tmp_path, DAY_TWO), "HUB_AS_OF": DAY_TWO.isoformat()}
        ingest_everything(night_two, run_id=f"night-{DAY_TWO}")
        track_requests = _track_requests(sandbox) - before

    with duckdb.connect(str(warehouse)) as con:
        pushed = con.execute("select count(*) from raw.shipstation__tracking where _record->>'status_code' = 'DE' "
                             "and (_record->>'actual_delivery_date')::date = ?", [DAY_ONE]).fetchone()[0]
        forged_landed = con.execute("select count(*) from raw.shipstation__tracking where _pk = ? and "
                                    "_record->>'status_code' = 'DE'", [in_transit]).fetchone()[0]
    # Every label delivered on DAY_ONE reached raw from its webhook: night two asked /track for none.
    assert pushed > 0 and track_requests == 0
    assert forged_landed == 0
    for name, value in night_two.items():
        monkeypatch.setenv(name, value)
    dbt([*BUILD, "--vars", f"{{as_of: '{DAY_TWO.isoformat()}'}}"], tmp_path)
    want = truth_rows(compute_truth(SEED, "tiny", DAY_TWO, currency="EUR"))
    assert want and differences(mart_rows(warehouse), want) == []


def test_a_signature_from_the_vendors_key_over_another_body_is_refused() -> None:
    """The signed string binds the body: the same headers over a changed body do not verify."""
    from connectors.webhooks.signature import Verifier

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    body = b'{"resource_type":"TRACK_EVENT_V2"}'
    headers = signed_headers(key, KEY_ID, body)
    verifier = Verifier("http://127.0.0.1:9/jwks", 300)
    public = key.public_key()
    verifier._keys.get_signing_key = lambda kid: type("K", (), {"key": public})()  # the key set, without a server
    assert verifier.refusal(headers, body) is None
    assert verifier.refusal(headers, body.replace(b"V2", b"V3")).kind == "bad_signature"
