"""Settings from the environment: defaults, parsing, and the exact messages of bad configs."""

from datetime import date
from pathlib import Path

import pytest

from connectors.config import HubConfig, SettingsError
from connectors.errors import ConfigError


def test_defaults():
    config = HubConfig.from_env({})
    assert config.data_dir == Path("data")
    assert config.warehouse_path == Path("data/warehouse.duckdb")
    assert config.landing_dir == Path("data/landing")
    assert config.start_date == date(2025, 1, 1)
    assert config.end_date is None
    assert config.ecb_currencies == ("USD", "GBP", "SEK", "CHF")
    assert (config.meta_restatement_days, config.google_ads_restatement_days) == (28, 90)
    assert config.shipstation_tracking_window_days == 60


def test_system_settings_parse_lists_and_know_their_secrets():
    config = HubConfig.from_env(
        {
            "HUB_META_BASE_URL": "https://graph.example.com/",
            "HUB_META_ACCESS_TOKEN": "tok",
            "HUB_META_AD_ACCOUNT_IDS": " act_1, act_2 ,",
        }
    )
    meta = config.system("meta")
    assert meta.base_url == "https://graph.example.com"
    assert meta.ids("ad_account_ids") == ("act_1", "act_2")
    assert meta.secrets == ("tok",)
    assert "tok" not in repr(meta)


def test_missing_base_url_and_credentials_name_every_variable():
    with pytest.raises(ConfigError) as err:
        HubConfig.from_env({}).system("docusign")
    assert str(err.value) == (
        "docusign is not configured: HUB_DOCUSIGN_BASE_URL is not set: set it to the docusign API base URL; "
        "HUB_DOCUSIGN_ACCESS_TOKEN is not set: set it to an OAuth access token; "
        "HUB_DOCUSIGN_ACCOUNT_ID is not set: set it to the eSignature account id"
    )


def test_missing_credential_alone():
    with pytest.raises(ConfigError) as err:
        HubConfig.from_env({"HUB_SHIPSTATION_BASE_URL": "https://api.shipstation.com"}).system("shipstation")
    assert str(err.value) == (
        "shipstation is not configured: HUB_SHIPSTATION_API_KEY is not set: set it to a ShipStation v2 API key"
    )


def test_ecb_needs_only_a_base_url():
    assert HubConfig.from_env({"HUB_ECB_BASE_URL": "https://data-api.ecb.europa.eu"}).system("ecb").secrets == ()


def test_malformed_values():
    with pytest.raises(ConfigError) as err:
        HubConfig.from_env({"HUB_START_DATE": "2025/01/01"})
    assert str(err.value) == "HUB_START_DATE='2025/01/01' is not a date: use a date as YYYY-MM-DD, e.g. 2025-01-01"
    with pytest.raises(ConfigError) as err:
        HubConfig.from_env({"HUB_META_RESTATEMENT_DAYS": "four"})
    assert str(err.value) == "HUB_META_RESTATEMENT_DAYS='four' is not a whole number: use a whole number of days from 0 to 365"
    with pytest.raises(ConfigError) as err:
        HubConfig.from_env({"HUB_HUBSPOT_BASE_URL": "api.hubapi.com", "HUB_HUBSPOT_TOKEN": "t"})
    assert str(err.value) == (
        "HUB_HUBSPOT_BASE_URL='api.hubapi.com' is not an http(s) URL: "
        "use an http(s) URL without user:pw@, query or fragment"
    )


def test_every_bad_value_is_reported_at_once():
    with pytest.raises(SettingsError) as err:
        HubConfig.from_env({"HUB_HTTP_RETRY_MAX_SECONDS": "inf", "HUB_ECB_CURRENCIES": "XXX", "HUB_END_DATE": "2024-12-31"})
    assert [problem.split(" ", 1)[0] for problem in err.value.problems] == [
        "HUB_END_DATE='2024-12-31'",
        "HUB_ECB_CURRENCIES='XXX'",
        "HUB_HTTP_RETRY_MAX_SECONDS='inf'",
    ]


def test_ids_and_currencies_are_normalised():
    config = HubConfig.from_env(
        {
            "HUB_ECB_CURRENCIES": " usd, gbp ",
            "HUB_GOOGLE_ADS_BASE_URL": "https://googleads.example.com",
            "HUB_GOOGLE_ADS_ACCESS_TOKEN": "a",
            "HUB_GOOGLE_ADS_DEVELOPER_TOKEN": "d",
            "HUB_GOOGLE_ADS_CUSTOMER_IDS": "123-456-7890,1110001111",
            "HUB_GOOGLE_ADS_LOGIN_CUSTOMER_ID": "999-000-1111",
        }
    )
    google = config.system("google_ads")
    assert config.ecb_currencies == ("USD", "GBP")
    assert google.ids("customer_ids") == ("1234567890", "1110001111")
    assert google.login_customer_id == "9990001111"


def test_a_password_in_a_base_url_is_never_printed():
    with pytest.raises(SettingsError) as err:
        HubConfig.from_env({"HUB_META_BASE_URL": "https://user:hunter2@graph.example.com?access_token=tok9"})
    assert "hunter2" not in str(err.value) and "tok9" not in str(err.value)
    assert str(err.value).startswith("HUB_META_BASE_URL='https://")
    assert "graph.example.com" in str(err.value) and "carries a user name or password" in str(err.value)
