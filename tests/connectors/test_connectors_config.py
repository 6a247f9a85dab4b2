"""Settings from the environment: defaults, parsing, and the exact messages of bad configs."""

from datetime import date
from pathlib import Path

import pytest

from connectors.config import HubConfig
from connectors.errors import ConfigError


def test_defaults():
    config = HubConfig.from_env({})
    assert config.data_dir == Path("data")
    assert config.warehouse_path == Path("data/warehouse.duckdb")
    assert config.landing_dir == Path("data/landing")
    assert config.start_date == date(2025, 1, 1)
    assert config.end_date is None
    assert config.ecb_currencies == ("USD", "GBP", "SEK", "CHF")
    assert (config.meta_restatement_days, config.google_ads_restatement_days) == (28, 30)
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
    assert str(err.value) == "HUB_START_DATE='2025/01/01' is not a date: use YYYY-MM-DD"
    with pytest.raises(ConfigError) as err:
        HubConfig.from_env({"HUB_META_RESTATEMENT_DAYS": "four"})
    assert str(err.value) == "HUB_META_RESTATEMENT_DAYS='four' is not a whole number"
    with pytest.raises(ConfigError) as err:
        HubConfig.from_env({"HUB_HUBSPOT_BASE_URL": "api.hubapi.com", "HUB_HUBSPOT_TOKEN": "t"}).system("hubspot")
    assert str(err.value) == (
        "hubspot is not configured: HUB_HUBSPOT_BASE_URL='api.hubapi.com' is not an http(s) URL: "
        "set it to the hubspot API base URL"
    )
