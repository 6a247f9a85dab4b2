"""The sandbox's token endpoints issue short-lived tokens the vendors' way and answer expired ones with the vendors' 401."""

import base64
import time
from collections.abc import Iterator

import httpx
import jwt
import pytest

from sandbox.credentials import DOCUSIGN_ACCOUNT_ID, DOCUSIGN_PRIVATE_KEY, OAUTH_CLIENTS
from sandbox.server import running_sandbox
from sandbox_helpers import SEED

USES = 2  # every issued token answers two API calls, then is expired
GOOGLE, HUBSPOT, DOCUSIGN = OAUTH_CLIENTS["google_ads"], OAUTH_CLIENTS["hubspot"], OAUTH_CLIENTS["docusign"]


@pytest.fixture(scope="module")
def http(world_dir) -> Iterator[httpx.Client]:
    with running_sandbox(seed=SEED, scale="tiny", data_dir=world_dir, token_uses=USES) as sb:
        with httpx.Client(base_url=sb.url, timeout=30) as client:
            yield client


def google_token(http: httpx.Client, **override: str) -> httpx.Response:
    form = {"grant_type": "refresh_token", "client_id": GOOGLE["client_id"], "client_secret": GOOGLE["client_secret"],
            "refresh_token": GOOGLE["refresh_token"], **override}
    return http.post("/google-oauth/token", data=form)


def search(http: httpx.Client, token: str) -> httpx.Response:
    return http.post("/google-ads/v26/customers/1110001111/googleAds:searchStream",
                     json={"query": "SELECT campaign.id FROM campaign WHERE segments.date BETWEEN '2026-10-01' AND '2026-10-01'"},
                     headers={"authorization": f"Bearer {token}", "developer-token": "sandbox-dev-token"})


def test_google_refresh_grant_issues_a_token_that_expires_after_its_uses(http: httpx.Client) -> None:
    answer = google_token(http)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3599)
    for _ in range(USES):
        assert search(http, body["access_token"]).status_code == 200
    expired = search(http, body["access_token"])
    assert expired.status_code == 401
    error = expired.json()["error"]
    assert error["status"] == "UNAUTHENTICATED"
    assert error["details"][0]["errors"][0]["errorCode"] == {"authenticationError": "OAUTH_TOKEN_EXPIRED"}


@pytest.mark.parametrize(("override", "status", "error"), [
    ({"refresh_token": "revoked"}, 400, "invalid_grant"),
    ({"client_secret": "wrong"}, 401, "invalid_client"),
    ({"grant_type": "password"}, 400, "unsupported_grant_type"),
])
def test_google_refusals(http: httpx.Client, override: dict, status: int, error: str) -> None:
    answer = google_token(http, **override)
    assert (answer.status_code, answer.json()["error"]) == (status, error)


def test_hubspot_refresh_grant_and_expired_token(http: httpx.Client) -> None:
    form = {"grant_type": "refresh_token", "client_id": HUBSPOT["client_id"], "client_secret": HUBSPOT["client_secret"],
            "refresh_token": HUBSPOT["refresh_token"]}
    body = http.post("/hubspot/oauth/v1/token", data=form).json()
    assert (body["token_type"], body["expires_in"], body["refresh_token"]) == ("bearer", 1800, HUBSPOT["refresh_token"])
    headers = {"authorization": f"Bearer {body['access_token']}"}
    for _ in range(USES):
        assert http.get("/hubspot/crm/v3/objects/contacts", params={"limit": 1}, headers=headers).status_code == 200
    expired = http.get("/hubspot/crm/v3/objects/contacts", params={"limit": 1}, headers=headers)
    assert expired.status_code == 401
    assert expired.json()["category"] == "EXPIRED_AUTHENTICATION"
    bad = http.post("/hubspot/oauth/v1/token", data={**form, "refresh_token": "revoked"})
    assert (bad.status_code, bad.json()["status"]) == (400, "BAD_REFRESH_TOKEN")


def assertion(**claims: object) -> str:
    now = int(time.time())
    base = {"iss": DOCUSIGN["integration_key"], "sub": DOCUSIGN["user_id"], "aud": "127.0.0.1", "iat": now,
            "exp": now + 3600, "scope": "signature impersonation"}
    return jwt.encode({**base, **claims}, DOCUSIGN_PRIVATE_KEY, algorithm="RS256")


def test_docusign_jwt_grant_and_expired_token(http: httpx.Client) -> None:
    grant = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer"}
    body = http.post("/docusign-account/oauth/token", data={**grant, "assertion": assertion()}).json()
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3600)
    url = f"/docusign/restapi/v2.1/accounts/{DOCUSIGN_ACCOUNT_ID}/envelopes"
    params = {"from_date": "2026-10-01T00:00:00Z", "count": 1}
    headers = {"authorization": f"Bearer {body['access_token']}"}
    for _ in range(USES):
        assert http.get(url, params=params, headers=headers).status_code == 200
    expired = http.get(url, params=params, headers=headers)
    assert (expired.status_code, expired.json()["errorCode"]) == (401, "AUTHORIZATION_INVALID_TOKEN")
    refusals = {
        "no_valid_keys_or_signatures": assertion() + "x",
        "invalid_audience": assertion(aud="account.docusign.com"),
        "issuer_not_found": assertion(iss="someone-else"),
        "user_not_found": assertion(sub="nobody"),
        "expired": assertion(exp=int(time.time()) - 60),
    }
    for description, signed in refusals.items():
        answer = http.post("/docusign-account/oauth/token", data={**grant, "assertion": signed})
        assert (answer.status_code, answer.json()) == (400, {"error": "invalid_grant", "error_description": description})


def test_docusign_refresh_grant_uses_basic_auth(http: httpx.Client) -> None:
    pair = base64.b64encode(f"{DOCUSIGN['integration_key']}:{DOCUSIGN['client_secret']}".encode()).decode()
    form = {"grant_type": "refresh_token", "refresh_token": DOCUSIGN["refresh_token"]}
    body = http.post("/docusign-account/oauth/token", data=form, headers={"authorization": f"Basic {pair}"}).json()
    assert body["expires_in"] == 28800
    assert http.post("/docusign-account/oauth/token", data=form).status_code == 401
    revoked = http.post("/docusign-account/oauth/token", data={**form, "refresh_token": "revoked"},
                        headers={"authorization": f"Basic {pair}"})
    assert (revoked.status_code, revoked.json()["error"]) == (400, "invalid_grant")


def test_a_token_never_issued_is_refused_and_static_tokens_still_work(http: httpx.Client) -> None:
    assert search(http, "sandbox-google_ads-oauth-forged").status_code == 401
    assert search(http, "sandbox-google-token").status_code == 200
