"""Credentials the sandbox accepts: well known, because the sandbox guards nothing real.

The hub uses them only when a system has no base URL of its own configured, i.e. when it
talks to the sandbox; a real base URL always needs real credentials from the environment.
"""

from typing import Final

SANDBOX_CREDENTIALS: Final[dict[str, dict[str, str]]] = {
    "hubspot": {"token": "sandbox-hubspot-token"},
    "meta": {"access_token": "sandbox-meta-token"},
    "google_ads": {"access_token": "sandbox-google-token", "developer_token": "sandbox-dev-token"},
    "docusign": {"access_token": "sandbox-docusign-token"},
    "shipstation": {"api_key": "sandbox-shipstation-key"},
    "ecb": {},
}

META_AD_ACCOUNTS: Final[dict[str, str]] = {"act_1001": "USD", "act_1002": "GBP", "act_1003": "EUR"}
GOOGLE_ADS_CUSTOMERS: Final[dict[str, str]] = {"1110001111": "EUR", "2220002222": "USD"}
DOCUSIGN_ACCOUNT_ID: Final[str] = "7d5a3d7e-0000-4000-8000-00000000d0c5"
