"""Short-lived tokens over real HTTP: fetched from the sandbox's token endpoints, refreshed when one
expires mid-stream with nothing lost, a refused grant explained, no secret in logs, metadata or pages;
and every credential mistake named with its fix."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from connector_helpers import raw_rows, sandbox_env

from connectors.config import HubConfig, SettingsError
from connectors.errors import AuthError, ConfigError
from connectors.ingest import ingest_stream
from sandbox.credentials import DOCUSIGN_PRIVATE_KEY, OAUTH_CLIENTS

TOKEN_USES = 3  # every token the sandbox issues answers three API calls, then is expired
OAUTH_STREAMS = ("google_ads__campaign_days", "hubspot__contacts", "hubspot__deals", "docusign__envelopes")
GOOGLE, HUBSPOT, DOCUSIGN = OAUTH_CLIENTS["google_ads"], OAUTH_CLIENTS["hubspot"], OAUTH_CLIENTS["docusign"]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[object]:
    from sandbox.server import running_sandbox

    with running_sandbox(seed=1, scale="tiny", token_uses=TOKEN_USES) as sb:
        yield sb


def oauth_env(url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The sandbox env with every OAuth-capable system on a grant instead of its static token."""
    env = sandbox_env(url, data_dir)
    for static in ("HUB_GOOGLE_ADS_ACCESS_TOKEN", "HUB_HUBSPOT_TOKEN", "HUB_DOCUSIGN_ACCESS_TOKEN"):
        del env[static]
    env.update(
        HUB_GOOGLE_ADS_CLIENT_ID=GOOGLE["client_id"], HUB_GOOGLE_ADS_CLIENT_SECRET=GOOGLE["client_secret"],
        HUB_GOOGLE_ADS_REFRESH_TOKEN=GOOGLE["refresh_token"], HUB_GOOGLE_ADS_TOKEN_URL=f"{url}/google-oauth/token",
        HUB_HUBSPOT_CLIENT_ID=HUBSPOT["client_id"], HUB_HUBSPOT_CLIENT_SECRET=HUBSPOT["client_secret"],
        HUB_HUBSPOT_REFRESH_TOKEN=HUBSPOT["refresh_token"], HUB_HUBSPOT_TOKEN_URL=f"{url}/hubspot/oauth/v1/token",
        HUB_DOCUSIGN_INTEGRATION_KEY=DOCUSIGN["integration_key"], HUB_DOCUSIGN_USER_ID=DOCUSIGN["user_id"],
        HUB_DOCUSIGN_PRIVATE_KEY=DOCUSIGN_PRIVATE_KEY.replace("\n", "\\n"),  # as a .env file writes it
        HUB_DOCUSIGN_TOKEN_URL=f"{url}/docusign-account/oauth/token",
    )
    env.update(extra)
    return env


SECRETS = (GOOGLE["client_secret"], GOOGLE["refresh_token"], HUBSPOT["client_secret"], HUBSPOT["refresh_token"],
           DOCUSIGN_PRIVATE_KEY.splitlines()[5], "sandbox-google_ads-oauth-", "sandbox-hubspot-oauth-",
           "sandbox-docusign-oauth-")


def test_tokens_expiring_mid_stream_are_refreshed_with_nothing_lost_and_no_secret_anywhere(
    sandbox, tmp_path, caplog, clean_tiny_tables
) -> None:
    config = HubConfig.from_env(oauth_env(sandbox.url, tmp_path))
    reports = []
    with caplog.at_level(logging.DEBUG):
        for stream in OAUTH_STREAMS:
            reports.append(ingest_stream(stream, config, "r1"))
            assert raw_rows(config, stream) == clean_tiny_tables[stream]
    issued = sandbox_tokens(sandbox)
    # Google's and HubSpot's streams made more calls than a token answers, so their tokens expired
    # mid-stream and were fetched again; the requests refused with 401 were sent again, nothing
    # dropped (tiny's envelopes fit one call: DocuSign shows the JWT grant works).
    requests = {r.stream: r.requests for r in reports}
    assert requests["google_ads__campaign_days"] > TOKEN_USES and requests["hubspot__contacts"] > TOKEN_USES
    assert issued["google_ads"] >= 2 and issued["hubspot"] >= 2 and issued["docusign"] >= 1
    text = "\n".join(r.getMessage() for r in caplog.records) + "\n".join(str(r.as_metadata()) for r in reports)
    landed = b"".join(p.read_bytes() for p in config.landing_dir.rglob("*") if p.is_file())
    for secret in SECRETS:
        assert secret not in text
        assert secret.encode() not in landed


def sandbox_tokens(sandbox) -> dict[str, int]:
    import httpx

    return httpx.get(f"{sandbox.url}/_admin/stats", timeout=10).json()["tokens_issued"]


def test_one_token_source_serves_every_stream_of_an_account(sandbox, tmp_path) -> None:
    one = HubConfig.from_env(oauth_env(sandbox.url, tmp_path / "a")).system("hubspot").tokens
    other = HubConfig.from_env(oauth_env(sandbox.url, tmp_path / "b")).system("hubspot").tokens
    assert one is other


@pytest.mark.parametrize(("variable", "vendor_said"), [
    ("HUB_GOOGLE_ADS_REFRESH_TOKEN", "invalid_grant: Token has been expired or revoked."),
    ("HUB_HUBSPOT_REFRESH_TOKEN", "BAD_REFRESH_TOKEN: missing or unknown refresh token"),
])
def test_a_revoked_refresh_token_fails_clearly_and_writes_nothing(sandbox, tmp_path, variable: str, vendor_said: str) -> None:
    revoked = "revoked-refresh-token-0123456789"
    config = HubConfig.from_env(oauth_env(sandbox.url, tmp_path, **{variable: revoked}))
    stream = "google_ads__campaign_days" if "GOOGLE" in variable else "hubspot__contacts"
    with pytest.raises(AuthError) as err:
        ingest_stream(stream, config, "r1")
    message = str(err.value)
    assert vendor_said in message and variable in message
    assert revoked not in message
    assert not config.warehouse_path.exists()


def test_a_jwt_for_the_wrong_user_is_refused_naming_the_variables(sandbox, tmp_path) -> None:
    config = HubConfig.from_env(oauth_env(sandbox.url, tmp_path, HUB_DOCUSIGN_USER_ID="00000000-0000-4000-8000-000000000bad"))
    with pytest.raises(AuthError) as err:
        ingest_stream("docusign__envelopes", config, "r1")
    assert "refused the JWT grant (HTTP 400: invalid_grant: user_not_found)" in str(err.value)
    assert "HUB_DOCUSIGN_USER_ID" in str(err.value)


def test_an_expired_meta_token_is_explained(sandbox, tmp_path) -> None:
    config = HubConfig.from_env(sandbox_env(sandbox.url, tmp_path, HUB_META_ACCESS_TOKEN="sandbox-meta-expired-token"))
    with pytest.raises(AuthError) as err:
        ingest_stream("meta__insights", config, "r1")
    message = str(err.value)
    assert "Meta refused HUB_META_ACCESS_TOKEN (code 190, subcode 463: the token expired)" in message
    assert "system user token" in message and "long-lived user token" in message
    assert "sandbox-meta-expired-token" not in message


@pytest.mark.parametrize(("extra", "removed", "expected"), [
    ({"HUB_GOOGLE_ADS_CLIENT_ID": "c"}, ("HUB_GOOGLE_ADS_ACCESS_TOKEN",),
     "HUB_GOOGLE_ADS_CLIENT_SECRET is not set: set it to the OAuth client secret; "
     "HUB_GOOGLE_ADS_REFRESH_TOKEN is not set: set it to a refresh token with the adwords scope"),
    ({"HUB_GOOGLE_ADS_CLIENT_ID": "c", "HUB_GOOGLE_ADS_CLIENT_SECRET": "s", "HUB_GOOGLE_ADS_REFRESH_TOKEN": "r"}, (),
     "both an access token (HUB_GOOGLE_ADS_ACCESS_TOKEN) and the OAuth refresh grant (HUB_GOOGLE_ADS_CLIENT_ID, "
     "HUB_GOOGLE_ADS_CLIENT_SECRET, HUB_GOOGLE_ADS_REFRESH_TOKEN) are set: unset the variables of the one you do not use"),
])
def test_each_credential_mistake_names_the_variables(tmp_path, extra, removed, expected) -> None:
    env = {**sandbox_env("http://127.0.0.1:9", tmp_path), **extra}
    for name in removed:
        del env[name]
    with pytest.raises(ConfigError) as err:
        HubConfig.from_env(env).system("google_ads")
    assert str(err.value) == f"google_ads is not configured: {expected}"


def test_a_docusign_jwt_form_missing_its_key_names_both_ways_to_give_it(tmp_path) -> None:
    env = sandbox_env("http://127.0.0.1:9", tmp_path, HUB_DOCUSIGN_INTEGRATION_KEY="ik", HUB_DOCUSIGN_USER_ID="u")
    del env["HUB_DOCUSIGN_ACCESS_TOKEN"]
    with pytest.raises(ConfigError) as err:
        HubConfig.from_env(env).system("docusign")
    assert str(err.value) == ("docusign is not configured: HUB_DOCUSIGN_PRIVATE_KEY or HUB_DOCUSIGN_PRIVATE_KEY_FILE "
                              "is not set: set it to the integration key's RSA private key")


@pytest.mark.parametrize(("variable", "value", "problem"), [
    ("HUB_DOCUSIGN_PRIVATE_KEY", "-----BEGIN PRIVATE KEY-----\\nnot a key\\n-----END PRIVATE KEY-----",
     "HUB_DOCUSIGN_PRIVATE_KEY=<secret, 65 characters> is not an unencrypted private key in PEM form"),
    ("HUB_DOCUSIGN_PRIVATE_KEY_FILE", "/nonexistent/key.pem", "HUB_DOCUSIGN_PRIVATE_KEY_FILE='/nonexistent/key.pem' cannot be read"),
    ("HUB_GOOGLE_ADS_TOKEN_URL", "http://oauth2.example.com/token", "HUB_GOOGLE_ADS_TOKEN_URL='http://oauth2.example.com/token' is not an https URL"),
])
def test_bad_grant_settings_are_refused_at_start_up(variable: str, value: str, problem: str) -> None:
    with pytest.raises(SettingsError) as err:
        HubConfig.from_env({variable: value})
    assert err.value.problems[0].startswith(problem)
    assert "not a key" not in str(err.value)


def test_a_private_key_file_works_like_the_pem_variable(sandbox, tmp_path, clean_tiny_tables) -> None:
    key = tmp_path / "docusign.pem"
    key.write_text(DOCUSIGN_PRIVATE_KEY)
    env = oauth_env(sandbox.url, tmp_path / "data", HUB_DOCUSIGN_PRIVATE_KEY_FILE=str(key))
    del env["HUB_DOCUSIGN_PRIVATE_KEY"]
    config = HubConfig.from_env(env)
    ingest_stream("docusign__envelopes", config, "r1")
    assert raw_rows(config, "docusign__envelopes") == clean_tiny_tables["docusign__envelopes"]
