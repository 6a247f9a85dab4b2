"""Point the connectors at a running sandbox: the environment each system needs.

A system with its own `HUB_<SYSTEM>_BASE_URL` keeps it (and must bring real credentials);
every other system is served by the sandbox with the sandbox's well-known credentials, the
OAuth systems through their grants and the sandbox's token endpoints by default.
"""

from collections.abc import Mapping
from datetime import date, timedelta

from connectors.config import SettingsError
from connectors.streams import configured_streams
from pipelines.settings import SandboxSettings
from sandbox.credentials import (
    DOCUSIGN_ACCOUNT_ID,
    DOCUSIGN_PRIVATE_KEY,
    GOOGLE_ADS_CUSTOMERS,
    META_AD_ACCOUNTS,
    OAUTH_CLIENTS,
    SANDBOX_CREDENTIALS,
)

SYSTEM_PREFIXES: dict[str, str] = {
    "HUBSPOT": "/hubspot",
    "META": "/meta",
    "GOOGLE_ADS": "/google-ads",
    "DOCUSIGN": "/docusign",
    "SHIPSTATION": "/shipstation",
    "ECB": "/ecb",
    "SHIPPO": "/shippo",
    "SALESFORCE": "/salesforce",
}


def systems_without_base_url(env: Mapping[str, str]) -> list[str]:
    """Systems of the configured vendors (HUB_CRM, HUB_FULFILMENT) the user has not pointed anywhere:
    these run against the sandbox. A vendor not chosen is not served."""
    configured = {spec.system.upper() for spec in configured_streams(env).values()}
    return [system for system in SYSTEM_PREFIXES if system in configured and not env.get(f"HUB_{system}_BASE_URL")]


def sandbox_env(sandbox_url: str, systems: list[str], oauth: bool = True) -> dict[str, str]:
    """Environment variables that point `systems` at the sandbox listening on `sandbox_url`.

    With `oauth` (the default, so `make run` meets short-lived tokens as a real account does)
    HubSpot and Google Ads use their OAuth refresh grant and DocuSign its JWT grant against the
    sandbox's token endpoints (sandbox/apis/oauth.py); without it, each system's static token.
    """
    creds, url = SANDBOX_CREDENTIALS, sandbox_url.rstrip("/")
    per_system: dict[str, dict[str, str]] = {
        "HUBSPOT": _hubspot_oauth(url) if oauth else {"HUB_HUBSPOT_TOKEN": creds["hubspot"]["token"]},
        "META": {
            "HUB_META_ACCESS_TOKEN": creds["meta"]["access_token"],
            "HUB_META_AD_ACCOUNT_IDS": ",".join(META_AD_ACCOUNTS),
        },
        "GOOGLE_ADS": {
            **(_google_ads_oauth(url) if oauth else {"HUB_GOOGLE_ADS_ACCESS_TOKEN": creds["google_ads"]["access_token"]}),
            "HUB_GOOGLE_ADS_DEVELOPER_TOKEN": creds["google_ads"]["developer_token"],
            "HUB_GOOGLE_ADS_CUSTOMER_IDS": ",".join(GOOGLE_ADS_CUSTOMERS),
        },
        "DOCUSIGN": {
            **(_docusign_jwt(url) if oauth else {"HUB_DOCUSIGN_ACCESS_TOKEN": creds["docusign"]["access_token"]}),
            "HUB_DOCUSIGN_ACCOUNT_ID": DOCUSIGN_ACCOUNT_ID,
        },
        "SHIPSTATION": {
            "HUB_SHIPSTATION_API_KEY": creds["shipstation"]["api_key"],
            # the keys the sandbox signs its track webhooks with (python -m connectors.webhooks)
            "HUB_SHIPSTATION_WEBHOOK_JWKS_URL": url + "/shipstation/jwks",
        },
        "ECB": {},
        "SHIPPO": {"HUB_SHIPPO_API_TOKEN": creds["shippo"]["api_token"]},
        "SALESFORCE": _salesforce_client_credentials() if oauth else {"HUB_SALESFORCE_ACCESS_TOKEN": creds["salesforce"]["access_token"]},
    }
    env: dict[str, str] = {}
    for system in systems:
        env[f"HUB_{system}_BASE_URL"] = url + SYSTEM_PREFIXES[system]
        env.update(per_system[system])
    return env


def _hubspot_oauth(url: str) -> dict[str, str]:
    client = OAUTH_CLIENTS["hubspot"]
    return {"HUB_HUBSPOT_CLIENT_ID": client["client_id"], "HUB_HUBSPOT_CLIENT_SECRET": client["client_secret"],
            "HUB_HUBSPOT_REFRESH_TOKEN": client["refresh_token"], "HUB_HUBSPOT_TOKEN_URL": f"{url}/hubspot/oauth/v1/token"}


def _salesforce_client_credentials() -> dict[str, str]:
    # the token endpoint is the org's own (HUB_SALESFORCE_BASE_URL + /services/oauth2/token)
    client = OAUTH_CLIENTS["salesforce"]
    return {"HUB_SALESFORCE_CLIENT_ID": client["client_id"], "HUB_SALESFORCE_CLIENT_SECRET": client["client_secret"]}


def _google_ads_oauth(url: str) -> dict[str, str]:
    client = OAUTH_CLIENTS["google_ads"]
    return {"HUB_GOOGLE_ADS_CLIENT_ID": client["client_id"], "HUB_GOOGLE_ADS_CLIENT_SECRET": client["client_secret"],
            "HUB_GOOGLE_ADS_REFRESH_TOKEN": client["refresh_token"], "HUB_GOOGLE_ADS_TOKEN_URL": f"{url}/google-oauth/token"}


def _docusign_jwt(url: str) -> dict[str, str]:
    client = OAUTH_CLIENTS["docusign"]
    return {"HUB_DOCUSIGN_INTEGRATION_KEY": client["integration_key"], "HUB_DOCUSIGN_USER_ID": client["user_id"],
            "HUB_DOCUSIGN_PRIVATE_KEY": DOCUSIGN_PRIVATE_KEY, "HUB_DOCUSIGN_TOKEN_URL": f"{url}/docusign-account/oauth/token"}


def sandbox_clock_env(env: Mapping[str, str], as_of: date) -> dict[str, str]:
    """The sandbox's clock as the report date, for the variables `env` leaves unset.

    Without it, a clock on the 2nd of a month would lose that month's backlog rows (yesterday's
    ads are not visible yet), and date-ranged streams would ask for days the sandbox has not lived.
    """
    clock = {"HUB_AS_OF": as_of.isoformat(), "HUB_END_DATE": (as_of - timedelta(days=1)).isoformat()}
    return {name: value for name, value in clock.items() if not env.get(name)}


def planned_env(env: Mapping[str, str]) -> dict[str, str]:
    """`env` as a command will run with it: the sandbox's clock filled in when the sandbox will run.

    Checking this (not `env` alone) catches a HUB_START_DATE after the sandbox's clock before any
    folder is made. A bad HUB_SANDBOX_AS_OF adds nothing here; the settings check reports it.
    """
    planned = dict(env)
    if systems_without_base_url(planned):
        try:
            sandbox = SandboxSettings.from_env(planned)
        except SettingsError:
            return planned
        planned.update(sandbox_clock_env(planned, sandbox.sandbox_as_of))
    return planned
