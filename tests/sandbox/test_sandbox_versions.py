"""The sandbox refuses API versions as Google Ads and Meta do: sunset and unreleased versions get the vendor's error."""

from collections.abc import Iterator

import httpx
import pytest

from sandbox.credentials import SANDBOX_CREDENTIALS
from sandbox.server import running_sandbox
from sandbox_helpers import SEED

JUDGED_ON = "2026-12-01"  # v22 sunset (2026-10-07), v26 live; Meta v24.0 expired (2026-11-10), v27.0 live
GOOGLE = {"authorization": f"Bearer {SANDBOX_CREDENTIALS['google_ads']['access_token']}",
          "developer-token": SANDBOX_CREDENTIALS["google_ads"]["developer_token"]}
META = {"authorization": f"Bearer {SANDBOX_CREDENTIALS['meta']['access_token']}"}
QUERY = {"query": "SELECT campaign.id, segments.date FROM campaign WHERE segments.date BETWEEN '2026-10-01' AND '2026-10-02'"}


@pytest.fixture(scope="module")
def http(world_dir) -> Iterator[httpx.Client]:
    """A client on a tiny sandbox judging versions on JUDGED_ON."""
    with running_sandbox(seed=SEED, scale="tiny", data_dir=world_dir, version_date=JUDGED_ON) as sb:
        with httpx.Client(base_url=sb.url, timeout=30) as client:
            yield client


def google(http: httpx.Client, version: str) -> httpx.Response:
    return http.post(f"/google-ads/{version}/customers/1110001111/googleAds:searchStream", json=QUERY, headers=GOOGLE)


def meta(http: httpx.Client, version: str) -> httpx.Response:
    return http.get(f"/meta/{version}/act_1001/insights", params={"level": "campaign", "time_increment": "1"}, headers=META)


def test_live_versions_answer(http: httpx.Client) -> None:
    assert google(http, "v26").status_code == 200
    assert google(http, "v23").status_code == 200
    assert meta(http, "v27.0").status_code == 200
    assert meta(http, "v25.0").status_code == 200


def test_a_sunset_google_version_gets_unsupported_version(http: httpx.Client) -> None:
    response = google(http, "v22")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    failure = error["details"][0]["errors"][0]
    assert failure == {"errorCode": {"requestError": "UNSUPPORTED_VERSION"},
                       "message": "Version v22 is deprecated. Requests to this version will be blocked."}


def test_an_unreleased_google_version_is_not_found(http: httpx.Client) -> None:
    response = google(http, "v27")
    assert response.status_code == 404
    assert "was not found on this server" in response.text


def test_a_sunset_meta_version_gets_2635_naming_the_latest(http: httpx.Client) -> None:
    response = meta(http, "v24.0")
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["type"]) == (2635, "OAuthException")
    assert error["message"] == ("(#2635) You are calling a deprecated version of the Ads API. Please update to the "
                                "latest version: v27.0.")


def test_an_unknown_meta_version_is_an_unknown_path(http: httpx.Client) -> None:
    response = meta(http, "v28.0")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == 2500
    assert meta(http, "v27").json()["error"]["code"] == 2500  # not the vendor's form either
