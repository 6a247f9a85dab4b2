"""How each vendor expects its credentials; sent only to the configured origin (see http.py)."""

from __future__ import annotations

from connectors.config import SystemConfig


def auth_headers(system: SystemConfig) -> dict[str, str]:
    """The request headers that authenticate to `system`."""
    creds = system.credentials
    if system.system == "hubspot":
        return {"authorization": f"Bearer {creds['token']}"}
    if system.system == "meta":
        # A header rather than the access_token query parameter keeps the token out of URLs.
        return {"authorization": f"Bearer {creds['access_token']}"}
    if system.system == "google_ads":
        headers = {
            "authorization": f"Bearer {creds['access_token']}",
            "developer-token": creds["developer_token"],
        }
        if system.login_customer_id:
            headers["login-customer-id"] = system.login_customer_id
        return headers
    if system.system == "docusign":
        return {"authorization": f"Bearer {creds['access_token']}"}
    if system.system == "shipstation":
        return {"api-key": creds["api_key"]}
    return {}
