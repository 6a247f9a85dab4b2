"""Typed settings for the connectors, read from `HUB_*` environment variables.

The connectors know nothing of the sandbox: whoever runs them (the pipelines layer, a test, a
shell) points a system at a server by setting its `HUB_<SYSTEM>_BASE_URL` and credentials.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TypeVar

from connectors.errors import ConfigError

N = TypeVar("N", int, float)

SYSTEMS: tuple[str, ...] = ("hubspot", "meta", "google_ads", "docusign", "shipstation", "ecb")

# Per system: (credential name, env var, what it is) for every credential it needs.
_CREDENTIALS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "hubspot": (("token", "HUB_HUBSPOT_TOKEN", "a private app access token"),),
    "meta": (
        ("access_token", "HUB_META_ACCESS_TOKEN", "a Marketing API access token"),
        ("ad_account_ids", "HUB_META_AD_ACCOUNT_IDS", "a comma list of ad account ids like act_1001"),
    ),
    "google_ads": (
        ("access_token", "HUB_GOOGLE_ADS_ACCESS_TOKEN", "an OAuth access token"),
        ("developer_token", "HUB_GOOGLE_ADS_DEVELOPER_TOKEN", "the developer token"),
        ("customer_ids", "HUB_GOOGLE_ADS_CUSTOMER_IDS", "a comma list of customer ids"),
    ),
    "docusign": (
        ("access_token", "HUB_DOCUSIGN_ACCESS_TOKEN", "an OAuth access token"),
        ("account_id", "HUB_DOCUSIGN_ACCOUNT_ID", "the eSignature account id"),
    ),
    "shipstation": (("api_key", "HUB_SHIPSTATION_API_KEY", "a ShipStation v2 API key"),),
    "ecb": (),
}
# Credentials that are identifiers, not secrets: they may appear in logs and metadata.
_NOT_SECRET = {"ad_account_ids", "customer_ids", "account_id"}


@dataclass(frozen=True)
class SystemConfig:
    """Where one vendor system lives and how to authenticate to it."""

    system: str
    base_url: str
    credentials: Mapping[str, str] = field(repr=False)
    login_customer_id: str | None = None  # Google Ads manager account, when one is used

    @property
    def credential_vars(self) -> tuple[str, ...]:
        """The environment variables holding this system's credentials (for error messages)."""
        return tuple(var for _, var, _ in _CREDENTIALS[self.system])

    @property
    def secrets(self) -> tuple[str, ...]:
        """The credential values that must never leave the configured origin or reach a log."""
        return tuple(v for k, v in self.credentials.items() if k not in _NOT_SECRET and v)

    def ids(self, name: str) -> tuple[str, ...]:
        """A comma-list credential (account ids) as a tuple, blanks dropped."""
        return tuple(part.strip() for part in self.credentials[name].split(",") if part.strip())


@dataclass(frozen=True)
class HubConfig:
    """Everything the connectors read from the environment, parsed and checked once."""

    data_dir: Path
    start_date: date
    end_date: date | None  # last date for date-ranged streams; None: today (UTC)
    ecb_currencies: tuple[str, ...]
    meta_restatement_days: int
    google_ads_restatement_days: int
    docusign_overlap_minutes: int
    shipstation_tracking_window_days: int
    connect_timeout_seconds: float
    read_timeout_seconds: float
    retry_max_seconds: float
    requests_per_second: float
    env: Mapping[str, str] = field(repr=False)

    @property
    def warehouse_path(self) -> Path:
        """The working DuckDB file the raw tables live in."""
        return self.data_dir / "warehouse.duckdb"

    @property
    def landing_dir(self) -> Path:
        """Root of the landed raw pages, one folder per run."""
        return self.data_dir / "landing"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> HubConfig:
        """Read settings from `env` (default: os.environ); bad values raise ConfigError."""
        env = dict(os.environ if env is None else env)
        return cls(
            data_dir=Path(env.get("HUB_DATA_DIR") or "./data"),
            start_date=_date(env, "HUB_START_DATE", "2025-01-01"),
            end_date=_date(env, "HUB_END_DATE", env["HUB_END_DATE"]) if env.get("HUB_END_DATE") else None,
            ecb_currencies=tuple(
                c.strip().upper()
                for c in (env.get("HUB_ECB_CURRENCIES") or "USD,GBP,SEK,CHF").split(",")
                if c.strip()
            ),
            meta_restatement_days=_int(env, "HUB_META_RESTATEMENT_DAYS", 28),
            google_ads_restatement_days=_int(env, "HUB_GOOGLE_ADS_RESTATEMENT_DAYS", 30),
            docusign_overlap_minutes=_int(env, "HUB_DOCUSIGN_OVERLAP_MINUTES", 60),
            shipstation_tracking_window_days=_int(env, "HUB_SHIPSTATION_TRACKING_WINDOW_DAYS", 60),
            connect_timeout_seconds=_float(env, "HUB_HTTP_CONNECT_TIMEOUT_SECONDS", 10.0),
            read_timeout_seconds=_float(env, "HUB_HTTP_READ_TIMEOUT_SECONDS", 60.0),
            retry_max_seconds=_float(env, "HUB_HTTP_RETRY_MAX_SECONDS", 300.0),
            requests_per_second=_float(env, "HUB_HTTP_REQUESTS_PER_SECOND", 0.0),
            env=env,
        )

    def system(self, system: str) -> SystemConfig:
        """The checked settings of one system; every missing variable is named with its fix."""
        if system not in _CREDENTIALS:
            raise ConfigError(f"unknown system {system!r}: expected one of {', '.join(SYSTEMS)}")
        var = f"HUB_{system.upper()}_BASE_URL"
        base_url = (self.env.get(var) or "").strip().rstrip("/")
        problems = []
        if not base_url:
            problems.append(f"{var} is not set: set it to the {system} API base URL")
        elif not base_url.startswith(("http://", "https://")):
            problems.append(f"{var}={base_url!r} is not an http(s) URL: set it to the {system} API base URL")
        credentials = {}
        for name, cred_var, what in _CREDENTIALS[system]:
            value = (self.env.get(cred_var) or "").strip()
            if not value:
                problems.append(f"{cred_var} is not set: set it to {what}")
            credentials[name] = value
        if problems:
            raise ConfigError(f"{system} is not configured: " + "; ".join(problems))
        return SystemConfig(
            system=system,
            base_url=base_url,
            credentials=credentials,
            login_customer_id=(self.env.get("HUB_GOOGLE_ADS_LOGIN_CUSTOMER_ID") or None)
            if system == "google_ads"
            else None,
        )


def _date(env: Mapping[str, str], var: str, default: str) -> date:
    raw = env.get(var) or default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ConfigError(f"{var}={raw!r} is not a date: use YYYY-MM-DD") from None


def _int(env: Mapping[str, str], var: str, default: int) -> int:
    return env_number(env, var, default, int, "a whole number")


def _float(env: Mapping[str, str], var: str, default: float) -> float:
    return env_number(env, var, default, float, "a number")


def env_number(env: Mapping[str, str], var: str, default: N, parse: Callable[[str], N], kind: str) -> N:
    """A non-negative number from `var`, or `default` when unset; a ConfigError says what is wrong."""
    raw = env.get(var)
    if not raw:
        return default
    try:
        value = parse(raw)
    except ValueError:
        raise ConfigError(f"{var}={raw!r} is not {kind}") from None
    if value < 0:
        raise ConfigError(f"{var}={raw!r} must not be negative")
    return value
