"""Each fault kind is observable in the vendor's shape, and a retrying client still gets every record."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from sandbox.apis.common import RECORDS_KEYS
from sandbox.apis.faults import KINDS, parse_faults
from sandbox.server import RunningSandbox, running_sandbox
from pulling import pull
from sandbox_helpers import AUTH, SEED

SLOW_S = 1.2  # the "slow" fault's delay; clients below give up reading after a third of it


class Recorder:
    """A client that retries like a careful connector and records every fault it met."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self.seen: list[tuple[str, httpx.Response | None]] = []

    def classify(self, r: httpx.Response) -> str | None:
        if r.status_code == 429 or (r.status_code == 400 and r.json().get("error", {}).get("code") in (17, 613)):
            return "rate_limit"
        if r.status_code == 503 and r.headers.get("content-type", "").startswith("text/plain"):
            return "rate_limit"  # the ECB's overload answer
        if r.status_code >= 500:
            return "5xx"
        if r.status_code == 200 and "json" in r.headers["content-type"]:
            try:
                page = orjson.loads(r.content)
            except orjson.JSONDecodeError:
                return "bad_json"
            # Every list page holds its records key; DocuSign leaves `envelopes` out of an empty page.
            if isinstance(page, dict) and not any(k in page for k in RECORDS_KEYS) and page.get("resultSetSize") != "0":
                return "missing_key"
        if r.status_code == 200 and "csv" in r.headers["content-type"] and not r.text.startswith("KEY,"):
            return "missing_key"
        return None

    def __call__(self, method: str, url: str, headers: dict, body: Any = None) -> Any:
        for _ in range(12):
            try:
                r = self.http.request(method, url, headers=headers, json=body)
            except httpx.RemoteProtocolError:
                self.seen.append(("drop", None))
                continue
            except httpx.ReadTimeout:
                self.seen.append(("slow", None))
                continue
            kind = self.classify(r)
            if kind:
                self.seen.append((kind, r))
                continue
            assert r.status_code == 200, r.text
            return r.text if "csv" in r.headers["content-type"] else r.json()
        raise AssertionError(f"{method} {url} never succeeded: {[k for k, _ in self.seen[-12:]]}")


@pytest.fixture(scope="module")
def clean(http: httpx.Client) -> dict:
    return pull(http)


def faulty(world_dir: Path, spec: str) -> Iterator[tuple[RunningSandbox, httpx.Client]]:
    with running_sandbox(seed=SEED, scale="tiny", data_dir=world_dir, faults=spec, slow_seconds=SLOW_S) as sb:
        with httpx.Client(base_url=sb.url, timeout=httpx.Timeout(10, read=SLOW_S / 3)) as client:
            yield sb, client


def test_a_retrying_client_gets_the_clean_data_through_every_fault(world_dir: Path, clean: dict) -> None:
    for sb, client in faulty(world_dir, "all:all@0.25"):
        recorder = Recorder(client)
        assert pull(recorder, page=40) == clean
        kinds = {k for k, _ in recorder.seen}
        assert kinds == {"rate_limit", "5xx", "drop", "slow", "bad_json", "missing_key"}


@pytest.mark.parametrize("vendor", ["hubspot", "shipstation", "meta", "google_ads", "docusign", "ecb"])
def test_rate_limits_use_each_vendors_shape(world_dir: Path, vendor: str) -> None:
    for sb, client in faulty(world_dir, f"{vendor}:rate_limit@0.5"):
        recorder = Recorder(client)
        pull_one(recorder, vendor)
        limited = [r for k, r in recorder.seen if k == "rate_limit"]
        assert limited, f"no rate limit met on {vendor}"
        r = limited[0]
        if vendor == "hubspot":
            assert r.status_code == 429 and r.json()["errorType"] == "RATE_LIMIT"
            assert {"x-hubspot-ratelimit-secondly-remaining", "x-hubspot-ratelimit-daily"} <= set(r.headers)
        elif vendor == "shipstation":
            assert r.status_code == 429 and r.headers["retry-after"] == "1"
            assert r.json()["errors"][0]["error_code"] == "rate_limit_exceeded"
        elif vendor == "meta":
            assert r.status_code == 400 and r.json()["error"]["code"] in (17, 613)
            assert orjson.loads(r.headers["x-business-use-case-usage"])
        elif vendor == "google_ads":
            assert r.status_code == 429 and r.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
        elif vendor == "docusign":
            assert r.status_code == 429 and r.json()["errorCode"] == "HOURLY_APIINVOCATION_LIMIT_EXCEEDED"
            assert r.headers["x-ratelimit-remaining"] == "0"
        else:
            assert r.status_code == 503 and r.headers["retry-after"] == "1"


def pull_one(recorder: Recorder, vendor: str) -> None:
    """A few pages of one vendor."""
    if vendor == "hubspot":
        url = "/hubspot/crm/v3/objects/contacts?limit=20"
        while url:
            url = recorder("GET", url, AUTH["hubspot"]).get("paging", {}).get("next", {}).get("link")
    elif vendor == "shipstation":
        for page in range(1, 8):
            recorder("GET", f"/shipstation/v2/shipments?page_size=5&page={page}", AUTH["shipstation"])
    elif vendor == "meta":
        for month in range(1, 13):
            recorder("GET", f'/meta/v27.0/act_1001/insights?level=campaign&time_increment=1&time_range='
                            f'{{"since":"2026-{month:02d}-01","until":"2026-{month:02d}-05"}}', AUTH["meta"])
    elif vendor == "google_ads":
        for day in range(1, 13):
            q = f"SELECT campaign.id FROM campaign WHERE segments.date = '2026-01-{day:02d}'"
            recorder("POST", "/google-ads/v26/customers/1110001111/googleAds:searchStream", AUTH["google_ads"], {"query": q})
    elif vendor == "docusign":
        for start in range(0, 24, 2):
            recorder("GET", f"/docusign/restapi/v2.1/accounts/7d5a3d7e-0000-4000-8000-00000000d0c5/envelopes"
                            f"?from_date=2020-01-01&count=2&start_position={start}", AUTH["docusign"])
    else:
        for month in range(1, 11):
            recorder("GET", f"/ecb/service/data/EXR/D.USD.EUR.SP00.A?format=csvdata&startPeriod=2026-{month:02d}-01",
                     {})


def test_page_faults_repeat_records_and_lose_none(world_dir: Path, clean: dict) -> None:
    for sb, client in faulty(world_dir, "hubspot:duplicate@0.5,shipstation:shift@0.5,docusign:shift@0.5,meta:duplicate@0.5"):
        ids: list[str] = []
        url = "/hubspot/crm/v3/objects/contacts?limit=20"
        while url:
            body = client.get(url, headers=AUTH["hubspot"]).json()
            ids += [r["id"] for r in body["results"]]
            url = body.get("paging", {}).get("next", {}).get("link")
        assert len(ids) > len(set(ids)) and set(ids) == set(clean["contacts"])
        ids = []
        for page in range(1, 100):
            body = client.get(f"/shipstation/v2/shipments?page_size=4&page={page}&sort_by=created_at&sort_dir=asc",
                              headers=AUTH["shipstation"]).json()
            ids += [s["shipment_id"] for s in body["shipments"]]
            if page >= body["pages"]:
                break
        assert len(ids) > len(set(ids)) and set(ids) == set(clean["shipments"])
        assert sb.stats()["shipstation"]["/v2/shipments"] == page


def test_the_same_seed_meets_the_same_faults() -> None:
    def run() -> list[str | None]:
        plan = parse_faults("all:all@0.3", SEED)
        return [plan.decide(v, "/p", KINDS) for v in ("hubspot", "meta") * 200]
    first = run()
    assert first == run() and len(set(first)) == len(KINDS) + 1
    assert all(a is None or b is None or a == b == "5xx" for a, b in zip(first[::2], first[2::2]))


@pytest.mark.parametrize("spec", ["hubspot", "nobody:5xx", "hubspot:meteor", "meta:5xx@0.9"])
def test_bad_fault_specs_name_the_fix(spec: str) -> None:
    with pytest.raises(ValueError, match="fault"):
        parse_faults(spec, SEED)


def test_missing_id_drops_the_records_own_id_and_keeps_the_others(world_dir: Path) -> None:
    """A label lacks its `label_id`, never the `shipment_id` it also names (else a connector would load a
    label that ships nothing instead of quarantining a record without its id)."""
    with running_sandbox(seed=SEED, scale="tiny", faults="shipstation:missing_id@always", data_dir=world_dir) as sb:
        with httpx.Client(base_url=sb.url, headers=AUTH["shipstation"], timeout=30) as http:
            labels = http.get("/shipstation/v2/labels?page_size=5").json()["labels"]
            shipments = http.get("/shipstation/v2/shipments?page_size=5").json()["shipments"]
    assert "label_id" not in labels[0] and labels[0]["shipment_id"].startswith("se-")
    assert all("label_id" in lab for lab in labels[1:])
    assert "shipment_id" not in shipments[0] and all("shipment_id" in s for s in shipments[1:])
