"""Each vendor refuses missing or wrong credentials the way the vendor does (status and body shape)."""

import httpx
import pytest

from sandbox.credentials import DOCUSIGN_ACCOUNT_ID
from sandbox_helpers import AUTH

META_URL = "/meta/v27.0/act_1001/insights?level=campaign&time_increment=1"
GOOGLE_URL = "/google-ads/v26/customers/1110001111/googleAds:searchStream"
GOOGLE_BODY = {"query": "SELECT campaign.id FROM campaign WHERE segments.date BETWEEN '2026-01-01' AND '2026-01-02'"}
DOCUSIGN_URL = f"/docusign/restapi/v2.1/accounts/{DOCUSIGN_ACCOUNT_ID}/envelopes?from_date=2026-01-01"


def call(http: httpx.Client, method: str, url: str, headers: dict, body: dict | None = None) -> httpx.Response:
    return http.request(method, url, headers=headers, json=body)


@pytest.mark.parametrize(("headers", "status"), [({}, 401), ({"Authorization": "Bearer nope"}, 401)])
def test_hubspot_auth(http: httpx.Client, headers: dict, status: int) -> None:
    r = call(http, "GET", "/hubspot/crm/v3/objects/contacts", headers)
    assert r.status_code == status
    body = r.json()
    assert body["status"] == "error" and body["category"] == "INVALID_AUTHENTICATION" and body["correlationId"]


@pytest.mark.parametrize(("url", "headers", "status", "code"), [
    (META_URL, {}, 400, 104),
    (META_URL + "&access_token=wrong", {}, 401, 190),
    ("/meta/v27.0/act_9999/insights?level=campaign", AUTH["meta"], 403, 200),
])
def test_meta_auth(http: httpx.Client, url: str, headers: dict, status: int, code: int) -> None:
    r = call(http, "GET", url, headers)
    assert r.status_code == status
    err = r.json()["error"]
    assert err["code"] == code and err["type"] == "OAuthException" and err["fbtrace_id"]


def test_meta_accepts_the_token_as_query_param(http: httpx.Client) -> None:
    token = AUTH["meta"]["Authorization"].removeprefix("Bearer ")
    assert call(http, "GET", f"{META_URL}&access_token={token}", {}).status_code == 200


@pytest.mark.parametrize(("url", "headers", "status", "detail"), [
    (GOOGLE_URL, {"developer-token": AUTH["google_ads"]["developer-token"]}, 401, {"authenticationError": "OAUTH_TOKEN_INVALID"}),
    (GOOGLE_URL, {"Authorization": AUTH["google_ads"]["Authorization"]}, 400,
     {"authenticationError": "DEVELOPER_TOKEN_PARAMETER_MISSING"}),
    (GOOGLE_URL, {**AUTH["google_ads"], "developer-token": "bad"}, 401, {"authenticationError": "DEVELOPER_TOKEN_INVALID"}),
    ("/google-ads/v26/customers/1234567890/googleAds:searchStream", AUTH["google_ads"], 403,
     {"authorizationError": "USER_PERMISSION_DENIED"}),
])
def test_google_ads_auth(http: httpx.Client, url: str, headers: dict, status: int, detail: dict) -> None:
    r = call(http, "POST", url, headers, GOOGLE_BODY)
    assert r.status_code == status
    err = r.json()["error"]
    assert err["code"] == status and err["status"] in ("UNAUTHENTICATED", "INVALID_ARGUMENT", "PERMISSION_DENIED")
    assert err["details"][0]["errors"][0]["errorCode"] == detail


@pytest.mark.parametrize(("url", "headers", "status", "code"), [
    (DOCUSIGN_URL, {}, 401, "USER_AUTHENTICATION_FAILED"),
    (DOCUSIGN_URL, {"Authorization": "Bearer expired"}, 401, "USER_AUTHENTICATION_FAILED"),
    ("/docusign/restapi/v2.1/accounts/00000000-0000-0000-0000-000000000000/envelopes?from_date=2026-01-01",
     AUTH["docusign"], 403, "USER_LACKS_MEMBERSHIP"),
])
def test_docusign_auth(http: httpx.Client, url: str, headers: dict, status: int, code: str) -> None:
    r = call(http, "GET", url, headers)
    assert r.status_code == status
    assert r.json()["errorCode"] == code and r.json()["message"]


@pytest.mark.parametrize("headers", [{}, {"API-Key": "wrong"}, {"Authorization": "Bearer sandbox-shipstation-key"}])
def test_shipstation_auth(http: httpx.Client, headers: dict) -> None:
    r = call(http, "GET", "/shipstation/v2/shipments", headers)
    assert r.status_code == 401
    body = r.json()
    assert body["request_id"] and body["errors"][0]["error_type"] == "security"
    assert body["errors"][0]["error_code"] == "unauthorized"


def test_ecb_needs_no_credentials(http: httpx.Client) -> None:
    r = http.get("/ecb/service/data/EXR/D.USD.EUR.SP00.A?startPeriod=2026-01-05&endPeriod=2026-01-05&format=csvdata")
    assert r.status_code == 200 and "EXR.D.USD.EUR.SP00.A" in r.text
