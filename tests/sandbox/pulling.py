"""Pull every record of every resource through the vendor APIs (for clock and fault tests)."""

import csv
import io
from collections.abc import Callable
from typing import Any

import httpx

from sandbox.credentials import DOCUSIGN_ACCOUNT_ID, GOOGLE_ADS_CUSTOMERS, META_AD_ACCOUNTS
from sandbox_helpers import AUTH

# (method, url, headers, json body) -> the parsed response: JSON, or text for CSV.
Fetch = Callable[[str, str, dict, Any], Any]


def plain_fetch(http: httpx.Client) -> Fetch:
    """A fetch that expects every call to succeed."""
    def fetch(method: str, url: str, headers: dict, body: Any = None) -> Any:
        response = http.request(method, url, headers=headers, json=body)
        response.raise_for_status()
        return response.text if "csv" in response.headers["content-type"] else response.json()
    return fetch


def pull(http: httpx.Client | Fetch, page: int = 100) -> dict[str, dict[str, Any]]:
    """resource -> id -> the record's "exists since" time (dated rows: their date)."""
    fetch = plain_fetch(http) if isinstance(http, httpx.Client) else http
    out: dict[str, dict[str, Any]] = {}
    for kind in ("contacts", "companies", "deals", "line_items"):
        url, got = f"/hubspot/crm/v3/objects/{kind}?limit={page}", {}
        while url:
            body = fetch("GET", url, AUTH["hubspot"], None)
            got.update({r["id"]: r["createdAt"] for r in body["results"]})
            url = body.get("paging", {}).get("next", {}).get("link")
        out[kind] = got
    rows: dict[str, Any] = {}
    for account in META_AD_ACCOUNTS:
        url = f"/meta/v27.0/{account}/insights?level=campaign&time_increment=1&limit={page * 5}" \
              '&fields=campaign_id,spend&time_range={"since":"2025-01-01","until":"2027-12-31"}'
        while url:
            body = fetch("GET", url, AUTH["meta"], None)
            rows.update({f"{r['campaign_id']}:{r['date_start']}": r["date_start"] for r in body["data"]})
            url = body["paging"].get("next") if body.get("paging") else None
    out["meta"] = rows
    rows = {}
    query = "SELECT campaign.id, segments.date FROM campaign WHERE segments.date BETWEEN '2025-01-01' AND '2027-12-31'"
    for customer in GOOGLE_ADS_CUSTOMERS:
        for batch in fetch("POST", f"/google-ads/v26/customers/{customer}/googleAds:searchStream", AUTH["google_ads"],
                           {"query": query}):
            rows.update({f"{r['campaign']['id']}:{r['segments']['date']}": r["segments"]["date"]
                         for r in batch.get("results", [])})
    out["google"] = rows
    base, got = "/docusign/restapi/v2.1", {}
    url = f"{base}/accounts/{DOCUSIGN_ACCOUNT_ID}/envelopes?from_date=2020-01-01&count={page // 4}"
    while url:
        body = fetch("GET", url, AUTH["docusign"], None)
        got.update({e["envelopeId"]: e["createdDateTime"] for e in body.get("envelopes", [])})
        url = body["nextUri"] and base + body["nextUri"]
    out["envelopes"] = got
    for kind in ("shipments", "labels"):
        url, got = f"/shipstation/v2/{kind}?page_size={page // 4}&sort_by=created_at&sort_dir=asc", {}
        while url:
            body = fetch("GET", url, AUTH["shipstation"], None)
            got.update({r[f"{kind[:-1]}_id"]: r["created_at"] for r in body[kind]})
            url = body["links"]["next"].get("href")
        out[kind] = got
    text = fetch("GET", "/ecb/service/data/EXR/D..EUR.SP00.A?format=csvdata", {}, None)
    out["ecb"] = {f"{r['CURRENCY']}:{r['TIME_PERIOD']}": r["TIME_PERIOD"] for r in csv.DictReader(io.StringIO(text))}
    return out
