"""Helpers for connector tests: sandbox settings and raw-table snapshots."""

from __future__ import annotations

from pathlib import Path

import duckdb

from connectors.config import HubConfig

PREFIXES = {
    "hubspot": "/hubspot",
    "meta": "/meta",
    "google_ads": "/google-ads",
    "docusign": "/docusign",
    "shipstation": "/shipstation",
    "ecb": "/ecb",
}


def sandbox_env(url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The HUB_* variables that point every system at a sandbox at `url` (what pipelines does)."""
    from sandbox.credentials import DOCUSIGN_ACCOUNT_ID, GOOGLE_ADS_CUSTOMERS, META_AD_ACCOUNTS, SANDBOX_CREDENTIALS

    creds = SANDBOX_CREDENTIALS
    env = {f"HUB_{system.upper()}_BASE_URL": url + prefix for system, prefix in PREFIXES.items()}
    env.update(
        HUB_DATA_DIR=str(data_dir),
        HUB_HUBSPOT_TOKEN=creds["hubspot"]["token"],
        HUB_META_ACCESS_TOKEN=creds["meta"]["access_token"],
        HUB_META_AD_ACCOUNT_IDS=",".join(META_AD_ACCOUNTS),
        HUB_GOOGLE_ADS_ACCESS_TOKEN=creds["google_ads"]["access_token"],
        HUB_GOOGLE_ADS_DEVELOPER_TOKEN=creds["google_ads"]["developer_token"],
        HUB_GOOGLE_ADS_CUSTOMER_IDS=",".join(GOOGLE_ADS_CUSTOMERS),
        HUB_DOCUSIGN_ACCESS_TOKEN=creds["docusign"]["access_token"],
        HUB_DOCUSIGN_ACCOUNT_ID=DOCUSIGN_ACCOUNT_ID,
        HUB_SHIPSTATION_API_KEY=creds["shipstation"]["api_key"],
        HUB_START_DATE="2025-10-01",
        HUB_HTTP_READ_TIMEOUT_SECONDS="10",
    )
    env.update(extra)
    return env


def raw_rows(config: HubConfig, table: str) -> list[tuple]:
    """(_pk, _scope, _cursor, _record) of a raw table, sorted: what equivalence tests compare."""
    con = duckdb.connect(str(config.warehouse_path), read_only=True)
    try:
        return con.execute(
            f"select _pk, _scope, _cursor, _record::varchar from raw.{table} order by _pk"
        ).fetchall()
    finally:
        con.close()
