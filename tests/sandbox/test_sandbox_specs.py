"""Every response the sandbox serves validates against the vendor's spec in ../shared/specs."""

import csv
import io
import json
import time

import httpx
from jsonschema import ValidationError
import pytest

from connectors.retry import retry_after_seconds
from sandbox.credentials import DOCUSIGN_ACCOUNT_ID, GOOGLE_ADS_CUSTOMERS, META_AD_ACCOUNTS
from sandbox_helpers import AUTH
from spec_schemas import meta_insights_fields, meta_insights_params, specs_dir, validate


@pytest.fixture(autouse=True)
def _specs_present() -> None:
    specs_dir()


def pages(http: httpx.Client, url: str, headers: dict, next_of) -> list[dict]:  # noqa: ANN001
    """Follow a vendor's pagination to the end; returns every page body."""
    out = []
    while url:
        response = http.get(url, headers=headers)
        assert response.status_code == 200, response.text
        out.append(response.json())
        url = next_of(out[-1])
    return out


@pytest.mark.parametrize("object_type", ["contacts", "companies", "deals", "line_items"])
@pytest.mark.parametrize("query", ["", "&properties=utm_source,utm_campaign,amount,deal_currency_code,hs_sku,price,quantity"
                                      "&associations=contacts,companies,line_items"])
def test_hubspot_list_matches_spec(http: httpx.Client, object_type: str, query: str) -> None:
    bodies = pages(http, f"/hubspot/crm/v3/objects/{object_type}?limit=100{query}", AUTH["hubspot"],
                   lambda b: b.get("paging", {}).get("next", {}).get("link"))
    assert sum(len(b["results"]) for b in bodies) > 10
    for body in bodies:
        validate("hubspot", "CollectionResponseSimplePublicObjectWithAssociationsForwardPaging", body)
    assert "paging" not in bodies[-1]


@pytest.mark.parametrize(("object_type", "modified"), [("contacts", "lastmodifieddate"), ("deals", "hs_lastmodifieddate"),
                                                       ("line_items", "hs_lastmodifieddate")])
def test_hubspot_search_matches_spec(http: httpx.Client, object_type: str, modified: str) -> None:
    body = {"filterGroups": [{"filters": [{"propertyName": modified, "operator": "GTE", "value": "1767225600000"}]}],
            "sorts": [{"propertyName": modified, "direction": "ASCENDING"}], "limit": 200, "properties": [modified]}
    response = http.post(f"/hubspot/crm/v3/objects/{object_type}/search", json=body, headers=AUTH["hubspot"])
    assert response.status_code == 200, response.text
    data = response.json()
    validate("hubspot", "CollectionResponseWithTotalSimplePublicObject", data)
    stamps = [r["properties"][modified] for r in data["results"]]
    assert stamps == sorted(stamps) and stamps and min(stamps) >= "2026-01-01T00:00:00.000Z"


def test_hubspot_association_batch_read_shape(http: httpx.Client) -> None:
    # No v4 associations spec ships in ../shared/specs: check the documented shape by hand.
    deals = http.get("/hubspot/crm/v3/objects/deals?limit=20", headers=AUTH["hubspot"]).json()["results"]
    for to_type in ("contacts", "companies", "line_items"):
        response = http.post(f"/hubspot/crm/v4/associations/deals/{to_type}/batch/read",
                             json={"inputs": [{"id": d["id"]} for d in deals]}, headers=AUTH["hubspot"])
        assert response.status_code == 200, response.text
        data = response.json()
        assert data["status"] == "COMPLETE" and data["results"]
        for item in data["results"]:
            assert set(item) == {"from", "to"} and isinstance(item["from"]["id"], str)
            for target in item["to"]:
                assert isinstance(target["toObjectId"], int)
                assert all(set(t) == {"category", "typeId", "label"} for t in target["associationTypes"])


def test_meta_insights_match_spec(http: httpx.Client) -> None:
    fields = meta_insights_fields()
    params = {"level": "campaign", "fields": "account_id,account_currency,campaign_id,campaign_name,spend,impressions,clicks,cpc,ctr",
              "time_range": json.dumps({"since": "2026-01-01", "until": "2026-02-15"}), "time_increment": "1",
              "limit": "50"}
    assert set(params) <= meta_insights_params()
    for account in META_AD_ACCOUNTS:
        url = str(httpx.URL(f"/meta/v27.0/{account}/insights", params=params))
        bodies = pages(http, url, AUTH["meta"], lambda b: b.get("paging", {}).get("next"))
        rows = [r for b in bodies for r in b["data"]]
        assert rows, f"no insights for {account}"
        for row in rows:
            assert set(row) <= set(fields), set(row) - set(fields)
            assert all(fields[k] == "string" and isinstance(v, str) for k, v in row.items())
            assert row["date_start"] == row["date_stop"]
        for body in bodies:
            assert set(body) == {"data", "paging"} and set(body["paging"]["cursors"]) == {"before", "after"}
        assert "next" not in bodies[-1]["paging"]


def test_google_ads_search_stream_shape(http: httpx.Client) -> None:
    # Google Ads has no spec in ../shared/specs; check the REST JSON mapping of GoogleAdsRow by hand.
    query = ("SELECT customer.id, customer.currency_code, campaign.id, campaign.name, segments.date, "
             "metrics.cost_micros, metrics.impressions, metrics.clicks, metrics.conversions FROM campaign "
             "WHERE segments.date BETWEEN '2026-01-01' AND '2026-01-31'")
    for customer, currency in GOOGLE_ADS_CUSTOMERS.items():
        response = http.post(f"/google-ads/v26/customers/{customer}/googleAds:searchStream", json={"query": query},
                             headers=AUTH["google_ads"])
        assert response.status_code == 200, response.text
        batches = response.json()
        assert isinstance(batches, list) and batches
        for batch in batches:
            assert set(batch) == {"results", "fieldMask", "requestId"}
            assert batch["fieldMask"].split(",")[:2] == ["customer.id", "customer.currencyCode"]
            for row in batch["results"]:
                assert row["customer"] == {"resourceName": f"customers/{customer}", "id": customer, "currencyCode": currency}
                assert set(row["campaign"]) == {"resourceName", "id", "name"}
                assert row["metrics"]["costMicros"].isdigit() and row["metrics"]["impressions"].isdigit()
                assert isinstance(row["metrics"]["conversions"], float)
                assert "2026-01-01" <= row["segments"]["date"] <= "2026-01-31"


def test_docusign_envelopes_match_spec(http: httpx.Client) -> None:
    base = "/docusign/restapi/v2.1"
    bodies = pages(http, f"{base}/accounts/{DOCUSIGN_ACCOUNT_ID}/envelopes?from_date=2025-01-01T00:00:00Z&count=7"
                         "&include=custom_fields,recipients", AUTH["docusign"],
                   lambda b: b["nextUri"] and base + b["nextUri"])
    assert len(bodies) > 2
    for body in bodies:
        validate("docusign", "envelopesInformation", body)
    statuses = {e["status"] for b in bodies for e in b["envelopes"]}
    assert statuses == {"sent", "delivered", "completed", "declined", "voided"}
    assert bodies[-1]["nextUri"] == "" and bodies[0]["previousUri"] == ""


@pytest.mark.parametrize(("path", "schema"), [("/v2/shipments?sort_by=modified_at&sort_dir=asc", "list_shipments_response_body"),
                                              ("/v2/labels?sort_by=created_at&sort_dir=asc", "list_labels_response_body")])
def test_shipstation_lists_match_spec(http: httpx.Client, path: str, schema: str) -> None:
    bodies = pages(http, f"/shipstation{path}&page_size=9", AUTH["shipstation"],
                   lambda b: b["links"]["next"].get("href"))
    assert len(bodies) > 2
    for body in bodies:
        validate("shipstation", schema, body)
    assert bodies[-1]["links"]["next"] == {} and bodies[0]["links"]["prev"] == {}


def test_shipstation_tracking_matches_spec(http: httpx.Client) -> None:
    labels = http.get("/shipstation/v2/labels?page_size=200", headers=AUTH["shipstation"]).json()["labels"]
    codes = set()
    for label in (lab for lab in labels if not lab["voided"]):  # a voided label is never tracked
        response = http.get(f"/shipstation/v2/labels/{label['label_id']}/track", headers=AUTH["shipstation"])
        assert response.status_code == 200
        validate("shipstation", "get_tracking_log_from_label_response_body", response.json())
        codes.add((label["tracking_status"], response.json()["status_code"]))
    assert codes == {("in_transit", "IT"), ("delivered", "DE")}


def test_ecb_csv_has_the_published_columns(http: httpx.Client) -> None:
    response = http.get("/ecb/service/data/EXR/D.USD+GBP+SEK+CHF.EUR.SP00.A",
                        params={"startPeriod": "2026-01-01", "endPeriod": "2026-03-31", "format": "csvdata"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["CURRENCY"] for r in rows} == {"USD", "GBP", "SEK", "CHF"}
    assert all(r["KEY"] == f"EXR.D.{r['CURRENCY']}.EUR.SP00.A" and r["FREQ"] == "D" for r in rows)
    assert all(len(r["OBS_VALUE"].split(".")[1]) == 4 for r in rows)


@pytest.mark.parametrize(("vendor", "path", "schema", "inject"), [
    ("hubspot", "/hubspot/crm/v3/objects/deals?limit=3", "CollectionResponseSimplePublicObjectWithAssociationsForwardPaging",
     lambda b: b["results"][0].update(dealCurrency="EUR")),
    ("shipstation", "/shipstation/v2/shipments?page_size=3", "list_shipments_response_body",
     lambda b: b["shipments"][0]["ship_to"].update(street="1 Main St")),
    ("shipstation", "/shipstation/v2/labels?page_size=3", "list_labels_response_body",
     lambda b: b["labels"][0].update(cost=1.0)),
    ("docusign", f"/docusign/restapi/v2.1/accounts/{DOCUSIGN_ACCOUNT_ID}/envelopes?from_date=2025-01-01&include=custom_fields",
     "envelopesInformation", lambda b: b["envelopes"][0]["customFields"]["textCustomFields"][0].update(key="x")),
])
def test_validation_rejects_a_field_the_vendor_does_not_have(http: httpx.Client, vendor: str, path: str, schema: str,
                                                             inject) -> None:  # noqa: ANN001
    body = http.get(path, headers=AUTH[vendor]).json()
    validate(vendor, schema, body)
    inject(body)
    with pytest.raises(ValidationError):
        validate(vendor, schema, body)


@pytest.mark.parametrize("operator", ["GT", "GTE", "BETWEEN"])
def test_hubspot_search_pages_agree_between_the_indexed_and_the_general_path(http: httpx.Client, operator: str) -> None:
    # An extra always-true filter on hs_object_id forces the general SQL path; results must not change.
    window = {"propertyName": "hs_lastmodifieddate", "operator": operator, "value": "1772323200000",
              "highValue": "1788000000000"}
    if operator != "BETWEEN":
        del window["highValue"]
    sort = [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}]

    def search(request: dict) -> dict:
        # The sandbox holds search to HubSpot's 5 requests a second per token (sandbox/apis/limits.py):
        # a throttled ask waits what the vendor's headers say, as a client must, and is asked again.
        for _ in range(50):
            response = http.post("/hubspot/crm/v3/objects/deals/search", headers=AUTH["hubspot"], json=request)
            if response.status_code != 429:
                return response.json()
            time.sleep(retry_after_seconds(response.headers, time.time()) or 0.05)
        raise AssertionError("HubSpot search stayed throttled for 50 asks")

    def everything(filters: list[dict]) -> list[tuple[str, str]]:
        out, after = [], "0"
        while after is not None:
            body = search({"filterGroups": [{"filters": filters}], "sorts": sort, "limit": 7, "after": after})
            out += [(r["id"], r["properties"]["hs_lastmodifieddate"]) for r in body["results"]]
            after = body.get("paging", {}).get("next", {}).get("after")
        return out
    fast = everything([window])
    general = everything([window, {"propertyName": "hs_object_id", "operator": "GT", "value": "0"}])
    assert fast == general and len(fast) > 7


@pytest.mark.parametrize(("ci", "outcome"), [("", pytest.skip.Exception), ("true", pytest.fail.Exception)])
def test_missing_specs_skip_locally_and_fail_in_ci(monkeypatch: pytest.MonkeyPatch, tmp_path, ci: str,  # noqa: ANN001
                                                   outcome: type) -> None:
    import spec_schemas

    monkeypatch.setattr(spec_schemas, "SPECS", tmp_path / "no-specs-here")
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="vendor specs not found"):
        spec_schemas.specs_dir()
