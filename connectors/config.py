"""Typed settings for the connectors, read from `HUB_*` environment variables and checked at once.

Every variable is declared once below (type, default, bounds, a one-line description and what is
allowed) with pydantic-settings; a bad value of any of them is reported together with every other
bad value, naming the variable, the value (a secret's never) and what to use instead. The
connectors know nothing of the sandbox: whoever runs them (the pipelines layer, a test, a shell)
points a system at a server by setting its `HUB_<SYSTEM>_BASE_URL` and credentials.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, Self, TypeVar, get_args
from urllib.parse import SplitResult, urlsplit

import httpx
from pydantic import AfterValidator, BeforeValidator, Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, SettingsConfigDict
from pydantic_settings.sources.utils import parse_env_vars

from connectors import versions
from connectors.errors import ConfigError
from connectors.redaction import Redactor
from connectors.systems.salesforce_org import check_version, client_credentials_token
from connectors.tokens import StaticToken, TokenSource

N = TypeVar("N", int, float)
PREFIX = "HUB_"
SYSTEMS: tuple[str, ...] = ("hubspot", "meta", "google_ads", "docusign", "shipstation", "ecb", "shippo", "salesforce")
# The vendors the hub supports for each kind of data, the default first: one of each kind is
# configured (HUB_CRM, HUB_FULFILMENT); its streams are ingested and its dbt staging models enabled.
CrmVendor = Literal["hubspot", "salesforce"]
FulfilmentVendor = Literal["shipstation", "shippo"]
VENDORS: Mapping[str, tuple[str, ...]] = {"crm": get_args(CrmVendor), "fulfilment": get_args(FulfilmentVendor)}

# The currencies of the ECB's euro foreign exchange reference rates (EUR is the base, never a
# series): https://www.ecb.europa.eu/stats/policy_and_exchange_rates/euro_reference_exchange_rates/html/index.en.html
# RUB is suspended since 1 March 2022 (same page); BGN stays for its history before Bulgaria's euro.
ECB_CURRENCIES: frozenset[str] = frozenset(
    "AUD BGN BRL CAD CHF CNY CZK DKK GBP HKD HUF IDR ILS INR ISK JPY KRW MXN MYR NOK NZD PHP PLN RON SEK SGD THB TRY USD ZAR".split()
)


class SettingsError(ConfigError):
    """One or more `HUB_*` variables are malformed; `problems` holds one line per bad value."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


# --- what one variable's value must look like (each raises ValueError with the reason) -----------


def strip_text(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def lower_text(value: Any) -> Any:
    """A name as lower case without surrounding blanks (`HubSpot ` is hubspot)."""
    return value.strip().lower() if isinstance(value, str) else value


def _iso_date(value: Any) -> Any:
    """Only YYYY-MM-DD: pydantic alone would also take a Unix timestamp or a datetime."""
    if isinstance(value, str):
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            raise ValueError("is not a date")
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("is not a date") from None
    return value


def _comma_list(value: Any) -> Any:
    """A comma list as a tuple, blanks dropped; a list with nothing in it is refused."""
    if isinstance(value, str):
        items = tuple(part.strip() for part in value.split(",") if part.strip())
        if not items:
            raise ValueError("is an empty list")
        return items
    return value


def currency_code(value: str) -> str:
    """An ISO 4217 code the ECB publishes a euro rate for; case is normalised (`usd` is USD)."""
    code = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValueError("is not a three-letter currency code")
    if code != "EUR" and code not in ECB_CURRENCIES:
        raise ValueError(f"names {code}, which has no ECB euro reference rate")
    return code


def _ecb_currencies(values: tuple[str, ...]) -> tuple[str, ...]:
    codes = tuple(currency_code(v) for v in values)
    if "EUR" in codes:
        raise ValueError("lists EUR, the ECB's base currency, which has no rate of its own")
    if len(set(codes)) != len(codes):
        raise ValueError("lists a currency twice")
    return codes


def split_url(value: str) -> SplitResult:
    """`value` split into URL parts; ValueError("is not a URL") for one urllib cannot read (a bad port)."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise ValueError("is not a URL") from None
    return parts


def _http_url(value: str | None) -> str | None:
    """An http(s) origin and path: no credentials, query or fragment ride along in it."""
    if value is None:
        return None
    parts = split_url(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("is not an http(s) URL")
    if parts.username is not None or parts.password is not None:
        raise ValueError("carries a user name or password (user:pw@): credentials belong in their own variables")
    if parts.query or parts.fragment:
        raise ValueError("carries a query or fragment (?... or #...)")
    return value.rstrip("/")


def _one_line_secret(value: SecretStr | None) -> SecretStr | None:
    """A token is one word: whitespace or control characters mean a paste went wrong."""
    if value is not None and re.search(r"[\s\x00-\x1f\x7f]", value.get_secret_value()):
        raise ValueError("contains whitespace or a control character")
    return value


def _ids(pattern: str, normalise: Callable[[str], str] = str) -> Callable[[tuple[str, ...] | None], tuple[str, ...] | None]:
    def check(values: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if values is None:
            return None
        bad = [v for v in values if not re.fullmatch(pattern, v)]
        if bad:
            raise ValueError(f"has {bad[0]!r}, which is not an id of this form")
        return tuple(normalise(v) for v in values)

    return check


Day = Annotated[date, BeforeValidator(_iso_date)]
CommaList = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_comma_list)]
BaseUrl = Annotated[str | None, BeforeValidator(strip_text), AfterValidator(_http_url)]
Secret = Annotated[SecretStr | None, BeforeValidator(strip_text), AfterValidator(_one_line_secret)]
# Meta names an ad account `act_<ad account id>` in every Marketing API path:
# https://developers.facebook.com/docs/marketing-api/reference/ad-account/
MetaAccounts = Annotated[tuple[str, ...] | None, NoDecode, BeforeValidator(_comma_list), AfterValidator(_ids(r"act_\d+"))]
# Google Ads customer ids are 10 digits, shown as 123-456-7890 and sent without the hyphens:
# https://developers.google.com/google-ads/api/docs/concepts/call-structure (login-customer-id)
_google_ids = _ids(r"\d{10}|\d{3}-\d{3}-\d{4}", lambda v: v.replace("-", ""))
GoogleCustomers = Annotated[tuple[str, ...] | None, NoDecode, BeforeValidator(_comma_list), AfterValidator(_google_ids)]


def _google_customer(value: str | None) -> str | None:
    return None if value is None else _google_ids((value,))[0]  # type: ignore[index]


GoogleCustomer = Annotated[str | None, BeforeValidator(strip_text), AfterValidator(_google_customer)]


def _token_url(value: str) -> str:
    """https, or plain http only to this machine (the sandbox): the grant's secrets travel in it."""
    parts = split_url(value)
    loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if not parts.hostname or not (parts.scheme == "https" or (parts.scheme == "http" and loopback)):
        raise ValueError("is not an https URL (plain http only to localhost)")
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        raise ValueError("carries a user name, password, query or fragment")
    return value


def _rsa_private_key(pem: str) -> str:
    """The PEM text of an RSA private key (PKCS#1 or PKCS#8, unencrypted), checked by `cryptography`."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        raise ValueError("is not an unencrypted private key in PEM form (-----BEGIN PRIVATE KEY----- ...)") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("is not an RSA key (DocuSign signs JWT assertions with RS256)")
    return pem


def _pem_secret(value: SecretStr | None) -> SecretStr | None:
    """A PEM pasted into one environment variable: literal `\\n` (as .env files write it) become newlines."""
    if value is None:
        return None
    pem = value.get_secret_value().strip().replace("\\n", "\n")
    return SecretStr(_rsa_private_key(pem))


def _pem_file(value: Path | None) -> Path | None:
    if value is None:
        return None
    try:
        text = value.read_text()
    except OSError as exc:
        raise ValueError(f"cannot be read ({exc.strerror or exc})") from None
    _rsa_private_key(text)
    return value


TokenUrl = Annotated[str, BeforeValidator(strip_text), AfterValidator(_token_url)]
PemSecret = Annotated[SecretStr | None, AfterValidator(_pem_secret)]
PemFile = Annotated[Path | None, AfterValidator(_pem_file)]
ApiVersionText = Annotated[str | None, BeforeValidator(strip_text)]


def setting(default: Any, description: str, allowed: str, *, secret: bool = False, **constraints: Any) -> Any:
    """One variable: its default, a one-line description, what is allowed (for errors and docs)."""
    return Field(default, description=description, json_schema_extra={"allowed": allowed, "secret": secret}, **constraints)


class _MappingEnvSource(EnvSettingsSource):
    """pydantic-settings' environment source over a given mapping, so callers need not touch os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]) -> None:
        self._env = env
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(self._env, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str)


class HubSettingsModel(BaseSettings):
    """Base of the hub's settings classes: `HUB_<FIELD>` variables, empty means unset, no NaN/inf."""

    # Variable names are matched case-insensitively only because pydantic-settings lowercases
    # names to match fields; documentation and errors always spell them upper case.
    model_config = SettingsConfigDict(
        env_prefix=PREFIX, case_sensitive=False, env_ignore_empty=True, extra="ignore", frozen=True, allow_inf_nan=False
    )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Self:
        """Validate `env` (default: os.environ); every bad value is listed in one SettingsError."""
        env = dict(os.environ if env is None else env)
        try:
            return cls(_build_sources=((_MappingEnvSource(cls, env),), {}))
        except ValidationError as exc:
            raise SettingsError(settings_problems(cls, exc, env)) from None

    @classmethod
    def variables(cls) -> Iterator[Variable]:
        """Every variable this class reads, in declaration order (for --help and the README)."""
        for name, info in cls.model_fields.items():
            yield Variable(name, info)


@dataclass(frozen=True)
class Variable:
    """One declared `HUB_*` variable, as the docs and the error messages show it."""

    field_name: str
    info: FieldInfo

    @property
    def name(self) -> str:
        return PREFIX + self.field_name.upper()

    @property
    def _extra(self) -> dict[str, Any]:
        return self.info.json_schema_extra if isinstance(self.info.json_schema_extra, dict) else {}

    @property
    def secret(self) -> bool:
        return bool(self._extra.get("secret"))

    @property
    def allowed(self) -> str:
        return str(self._extra.get("allowed", ""))

    @property
    def description(self) -> str:
        return self.info.description or ""

    @property
    def default_text(self) -> str:
        """The default as a user would type it, or `unset`."""
        default = self.info.default
        if default is None:
            return "unset"
        if isinstance(default, tuple):
            return ",".join(str(d) for d in default)
        return str(default)

    def shown(self, raw: str) -> str:
        """The value as an error may print it: a secret only by its length, a URL without credentials."""
        if self.secret:
            return f"<secret, {len(raw)} characters>"
        try:
            password = urlsplit(raw.strip()).password
        except ValueError:
            password = None
        return repr(Redactor((password,) if password else ()).url(raw) if "://" in raw else raw)


_REASONS = {
    "float_parsing": "is not a number",
    "float_type": "is not a number",
    "int_parsing": "is not a whole number",
    "int_type": "is not a whole number",
    "int_from_float": "is not a whole number",
    "finite_number": "is not a finite number",
    "literal_error": "is not one of the allowed values",
    "string_type": "is not text",
    "string_pattern_mismatch": "is not an id of this form",
}


def settings_problems(cls: type[HubSettingsModel], exc: ValidationError, env: Mapping[str, str]) -> list[str]:
    """One line per error: `HUB_<NAME>=<value> <what is wrong>: use <what is allowed>`."""
    by_field = {v.field_name: v for v in cls.variables()}
    lowered = {k.lower(): v for k, v in env.items()}
    problems = []
    for error in exc.errors(include_url=False):
        variable = by_field.get(str(error["loc"][0])) if error["loc"] else None
        if variable is None:  # a rule across variables: its message names them itself
            problems.append(str(error.get("ctx", {}).get("error", error["msg"])))
            continue
        raw = lowered.get(variable.name.lower(), "")
        problems.append(f"{variable.name}={variable.shown(raw)} {_reason(error, variable)}: use {variable.allowed}")
    return problems


def _reason(error: Any, variable: Variable) -> str:
    kind = error["type"]
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        low, high = _bounds(variable.info)
        if kind == "greater_than":
            return f"must be above {low}"
        if low is not None and high is not None:
            return f"is outside {low}..{high}"
        return f"is below {low}" if kind.startswith("greater") else f"is above {high}"
    return _REASONS.get(kind, error["msg"][0].lower() + error["msg"][1:])


def _bounds(info: FieldInfo) -> tuple[Any, Any]:
    """The field's lower and upper bound (inclusive or not), as declared."""
    low = high = None
    for meta in info.metadata:
        low = next((getattr(meta, a) for a in ("ge", "gt") if getattr(meta, a, None) is not None), low)
        high = next((getattr(meta, a) for a in ("le", "lt") if getattr(meta, a, None) is not None), high)
    return _plain(low), _plain(high)


def _plain(number: Any) -> Any:
    return int(number) if isinstance(number, float) and number.is_integer() else number


class ConnectorSettings(HubSettingsModel):
    """Every `HUB_*` variable the connectors read."""

    data_dir: Path = setting(Path("data"), "warehouse, published marts, landed pages, Dagster home", "a folder path")
    lake_dir: Path | None = setting(None, "folder each load also writes its changed raw rows to, as Parquet, for Spark or a lakehouse (connectors/lake.py; unset: none written)", "a folder path")
    crm: Annotated[CrmVendor, BeforeValidator(lower_text)] = setting(
        "hubspot", "the CRM leads, deals and their lines come from: only its streams are ingested and its dbt staging models built", "hubspot or salesforce"
    )
    fulfilment: Annotated[FulfilmentVendor, BeforeValidator(lower_text)] = setting(
        "shipstation", "the fulfilment vendor shipments, labels and tracking come from: only its streams are ingested and its dbt staging models built", "shipstation or shippo"
    )
    start_date: Day = setting(date(2025, 1, 1), "first day pulled by date-ranged streams (ads, FX) on a first run", "a date as YYYY-MM-DD, e.g. 2025-01-01")
    end_date: Day | None = setting(None, "last day pulled by date-ranged streams (unset: today, UTC)", "a date as YYYY-MM-DD, not before HUB_START_DATE (with the sandbox, unset means the day before HUB_SANDBOX_AS_OF)")
    ecb_currencies: Annotated[CommaList, AfterValidator(_ecb_currencies)] = setting(
        ("USD", "GBP", "SEK", "CHF"),
        "currencies whose ECB euro reference rates are pulled (any case)",
        "a comma list of currencies the ECB publishes a euro rate for, e.g. USD,GBP (not EUR, the base)",
    )
    meta_restatement_days: int = setting(28, "days of Meta ad rows re-pulled each run (late restatements)", "a whole number of days from 0 to 365", ge=0, le=365)
    google_ads_restatement_days: int = setting(90, "days of Google Ads rows re-pulled each run (conversions are restated for up to the 90-day conversion window)", "a whole number of days from 0 to 365", ge=0, le=365)
    docusign_overlap_minutes: int = setting(60, "minutes DocuSign's `from_date` reaches back before the cursor", "a whole number of minutes from 0 to 1440", ge=0, le=1440)
    shipstation_overlap_minutes: int = setting(60, "minutes ShipStation's `modified_at_start` reaches back before the cursor", "a whole number of minutes from 0 to 1440", ge=0, le=1440)
    # HubSpot states no bound on how far search lags behind writes (integrators see seconds:
    # https://blog.sequin.io/building-a-sync-on-hubspots-api/ ; the sandbox lags up to 10 minutes,
    # sandbox/apis/hubspot.py); an hour more re-reads a page or two a night and merges them away.
    hubspot_search_overlap_minutes: int = setting(60, "minutes HubSpot's modified-since search reaches back before the cursor (its index lags behind writes)", "a whole number of minutes from 0 to 1440", ge=0, le=1440)
    shipstation_tracking_window_days: int = setting(60, "days labels are re-read for tracking updates", "a whole number of days from 1 to 365", ge=1, le=365)
    # 4,000 `/track` requests are 20 minutes of ShipStation's 200 a minute (connectors/limits.py),
    # which leaves the rest of a large nightly and the pace the vendor's headers allow within half
    # an hour (measured in bench/README.md); a first sync's backlog is tracked over the next nights.
    shipstation_tracking_requests_per_night: int = setting(4000, "`/track` requests one night may spend on labels not yet tracked as delivered, newest first (0: no limit)", "a whole number from 0 to 10000000", ge=0, le=10_000_000)
    # ShipStation's tracking webhooks (connectors/webhooks): keys from its JSON Web Key Set, events
    # older than 5 minutes refused as replays (https://docs.shipstation.com/apis/docs/guides/webhooks-validation).
    webhooks_host: Annotated[str, BeforeValidator(strip_text)] = setting("127.0.0.1", "address `python -m connectors.webhooks` listens on (the vendor must reach it: a proxy in front of it, or 0.0.0.0)", "a host name or IP address", min_length=1)
    webhooks_port: int = setting(8790, "port `python -m connectors.webhooks` listens on", "a port number from 1 to 65535", ge=1, le=65535)
    shipstation_webhook_jwks_url: TokenUrl = setting("https://api.shipengine.com/jwks", "ShipStation's JSON Web Key Set its webhook signatures are verified with (the sandbox: <sandbox>/shipstation/jwks)", "an https URL (http only to localhost)")
    webhooks_max_age_seconds: int = setting(300, "a webhook whose signed timestamp is further than this from now (either way) is refused as a replay", "a whole number of seconds from 1 to 86400", ge=1, le=86400)
    rate_limit_time_scale: float = setting(1.0, "vendor seconds per real second the documented rate limits are paced at (set it to the sandbox's --time-scale; real vendors: 1)", "a number from 1 to 100000", ge=1, le=100_000)
    http_connect_timeout_seconds: float = setting(10.0, "HTTP connect timeout", "seconds above 0, at most 300", gt=0, le=300)
    http_read_timeout_seconds: float = setting(60.0, "HTTP read timeout", "seconds above 0, at most 3600", gt=0, le=3600)
    http_retry_max_seconds: float = setting(300.0, "total time the retries of one request may take (0: no retries)", "seconds from 0 to 3600", ge=0, le=3600)
    http_requests_per_second: float = setting(0.0, "rate budget per vendor account (0: unlimited)", "a number from 0 (unlimited) to 1000", ge=0, le=1000)
    hubspot_base_url: BaseUrl = setting(None, "HubSpot CRM v3 base URL (unset: the sandbox)", "an http(s) URL without user:pw@, query or fragment")
    api_version_date: Day | None = setting(
        None, "the date API versions are judged by (unset: today, UTC): set it to see what a later day refuses", "a date as YYYY-MM-DD"
    )
    hubspot_token: Secret = setting(None, "HubSpot private app access token (or use the OAuth refresh variables below)", "the token as issued, one line", secret=True)
    hubspot_client_id: Annotated[str | None, BeforeValidator(strip_text)] = setting(None, "HubSpot OAuth app client id (with the secret and refresh token: 30-minute tokens, refreshed)", "the app's client id")
    hubspot_client_secret: Secret = setting(None, "HubSpot OAuth app client secret", "the secret as issued, one line", secret=True)
    hubspot_refresh_token: Secret = setting(None, "HubSpot OAuth refresh token of the installed app", "the refresh token as issued, one line", secret=True)
    hubspot_token_url: TokenUrl = setting("https://api.hubapi.com/oauth/v1/token", "HubSpot OAuth token endpoint (the refresh grant is sent only here)", "an https URL (http only to localhost)")
    meta_base_url: BaseUrl = setting(None, "Meta Marketing API base URL (unset: the sandbox)", "an http(s) URL without user:pw@, query or fragment")
    meta_access_token: Secret = setting(None, "Meta Marketing API access token", "the token as issued, one line", secret=True)
    meta_api_version: ApiVersionText = setting(None, "Meta Marketing API version (unset: the newest released one in connectors/versions.py)", "a live version like v27.0")
    meta_ad_account_ids: MetaAccounts = setting(None, "Meta ad accounts as a comma list", "a comma list of ad account ids like act_1001")
    google_ads_base_url: BaseUrl = setting(None, "Google Ads REST base URL (unset: the sandbox)", "an http(s) URL without user:pw@, query or fragment")
    google_ads_api_version: ApiVersionText = setting(None, "Google Ads API version (unset: the newest released one in connectors/versions.py)", "a live version like v26")
    google_ads_access_token: Secret = setting(None, "Google Ads OAuth access token, used as is (about 1 h; prefer the refresh variables below)", "the token as issued, one line", secret=True)
    google_ads_client_id: Annotated[str | None, BeforeValidator(strip_text)] = setting(None, "Google OAuth client id (with the secret and refresh token: tokens fetched and refreshed)", "the client id, e.g. 123-abc.apps.googleusercontent.com")
    google_ads_client_secret: Secret = setting(None, "Google OAuth client secret", "the secret as issued, one line", secret=True)
    google_ads_refresh_token: Secret = setting(None, "Google OAuth refresh token with the adwords scope", "the refresh token as issued, one line", secret=True)
    google_ads_token_url: TokenUrl = setting("https://oauth2.googleapis.com/token", "Google OAuth2 token endpoint (the refresh grant is sent only here)", "an https URL (http only to localhost)")
    google_ads_developer_token: Secret = setting(None, "Google Ads developer token", "the token as issued, one line", secret=True)
    google_ads_customer_ids: GoogleCustomers = setting(None, "Google Ads customer ids as a comma list", "a comma list of 10-digit customer ids, e.g. 1234567890 or 123-456-7890")
    google_ads_login_customer_id: GoogleCustomer = setting(
        None, "Google Ads manager account the calls are made through, if any", "a 10-digit customer id, e.g. 1234567890 or 123-456-7890"
    )
    docusign_base_url: BaseUrl = setting(None, "DocuSign eSignature v2.1 base URL (unset: the sandbox)", "an http(s) URL without user:pw@, query or fragment")
    docusign_access_token: Secret = setting(None, "DocuSign OAuth access token, used as is (1 h or 8 h; prefer the JWT or refresh variables below)", "the token as issued, one line", secret=True)
    docusign_integration_key: Annotated[str | None, BeforeValidator(strip_text)] = setting(None, "DocuSign integration key (client id) for the JWT or refresh grant", "the integration key GUID")
    docusign_user_id: Annotated[str | None, BeforeValidator(strip_text)] = setting(None, "DocuSign user id the JWT grant impersonates (consent given once)", "the user id GUID")
    docusign_private_key: PemSecret = setting(None, "RSA private key of the integration key, PEM text (JWT grant)", "a PEM private key; newlines as is or written \\n", secret=True)
    docusign_private_key_file: PemFile = setting(None, "file holding the RSA private key (JWT grant), instead of HUB_DOCUSIGN_PRIVATE_KEY", "a readable PEM file path")
    docusign_client_secret: Secret = setting(None, "DocuSign integration secret key (refresh grant)", "the secret as issued, one line", secret=True)
    docusign_refresh_token: Secret = setting(None, "DocuSign refresh token from the authorization code grant (8 h tokens)", "the refresh token as issued, one line", secret=True)
    docusign_token_url: TokenUrl = setting("https://account.docusign.com/oauth/token", "DocuSign account server token endpoint (https://account-d.docusign.com/oauth/token for developer accounts)", "an https URL (http only to localhost)")
    # "The external account number (int) or account ID GUID" (eSignature v2.1 accountId parameter).
    docusign_account_id: Annotated[str | None, BeforeValidator(strip_text)] = setting(
        None, "DocuSign eSignature account id", "the account id GUID or the account number",
        pattern=r"^(\d+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$",
    )
    shipstation_base_url: BaseUrl = setting(None, "ShipStation API v2 base URL (unset: the sandbox)", "an http(s) URL without user:pw@, query or fragment")
    shipstation_api_key: Secret = setting(None, "ShipStation v2 API key", "the key as issued, one line", secret=True)
    shippo_base_url: BaseUrl = setting(None, "Shippo API base URL, https://api.goshippo.com (unset: the sandbox)", "an http(s) URL without user:pw@, query or fragment")
    shippo_api_token: Secret = setting(None, "Shippo API token, sent as `Authorization: ShippoToken <token>`", "the token as issued (shippo_live_... or shippo_test_...), one line", secret=True)
    # Shippo filters only shipments by date (https://docs.goshippo.com/docs/api_concepts/filtering):
    # orders (status) and transactions (refunds, tracking status) are re-read newest first this far back;
    # 60 days, as ShipStation's labels: an order can wait weeks for its label.
    shippo_window_days: int = setting(60, "days of Shippo orders and transactions re-read each night, newest first, for status changes and refunds", "a whole number of days from 1 to 365", ge=1, le=365)
    shippo_overlap_minutes: int = setting(60, "minutes Shippo's `object_created_gte` on shipments reaches back before the cursor", "a whole number of minutes from 0 to 1440", ge=0, le=1440)
    # 10,000 `/tracks` requests are 20 minutes of Shippo's 500 a minute, paced on the endpoint's own
    # budget (connectors/limits.py, https://docs.goshippo.com/docs/API_Concepts/RateLimits): the same
    # share of a night as ShipStation's 4,000 (a test key's 50 a minute make it 200 minutes: set fewer).
    shippo_tracking_requests_per_night: int = setting(10_000, "`/tracks` requests one night may spend on labels not yet tracked as delivered, newest first (0: no limit)", "a whole number from 0 to 10000000", ge=0, le=10_000_000)
    ecb_base_url: BaseUrl = setting(None, "ECB data API base URL (unset: the sandbox)", "an http(s) URL without user:pw@, query or fragment")
    # The org's My Domain URL serves both the token endpoint and the API: the instance_url a token
    # comes back with must be this URL, or the token is refused (secrets go to the configured host only).
    salesforce_base_url: BaseUrl = setting(None, "Salesforce org's My Domain URL, e.g. https://acme.my.salesforce.com (unset: the sandbox)", "an http(s) URL without user:pw@, query or fragment")
    salesforce_client_id: Annotated[str | None, BeforeValidator(strip_text)] = setting(None, "Salesforce connected app's consumer key (client-credentials grant, with the secret)", "the consumer key")
    salesforce_client_secret: Secret = setting(None, "Salesforce connected app's consumer secret", "the secret as issued, one line", secret=True)
    salesforce_access_token: Secret = setting(None, "Salesforce session id used as is, instead of the client-credentials grant (it expires with the org's session timeout)", "the session id as issued, one line", secret=True)
    salesforce_api_version: ApiVersionText = setting(None, "Salesforce API version (unset: the live default in connectors/systems/salesforce.py)", "a version like v67.0, 31.0 or later")
    # A long-running transaction commits records stamped with its start time: Salesforce tells replicating
    # clients to start the next window that far back (getUpdated's latestDateCovered,
    # https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_getupdated_getupdatedresult.htm).
    salesforce_overlap_minutes: int = setting(60, "minutes Salesforce's SystemModstamp filter reaches back before the cursor", "a whole number of minutes from 0 to 1440", ge=0, le=1440)
    salesforce_bulk_threshold: int = setting(10_000, "a first sync of an object with more records than this uses a Bulk API 2.0 query job instead of REST pages (0: never)", "a whole number from 0 to 100000000", ge=0, le=100_000_000)
    salesforce_utm_source_field: Annotated[str, BeforeValidator(strip_text)] = setting("pi__utm_source__c", "Lead and Contact field holding the UTM source (Account Engagement's by default; e.g. UTM_Source__c)", "a field API name", pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    salesforce_utm_campaign_field: Annotated[str, BeforeValidator(strip_text)] = setting("pi__utm_campaign__c", "Lead and Contact field holding the UTM campaign (Account Engagement's by default; e.g. UTM_Campaign__c)", "a field API name", pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    salesforce_api_reserve_percent: float = setting(10.0, "share of the org's daily API allocation left to its other integrations: a stream stops clearly when Sforce-Limit-Info shows less remaining", "a percentage from 0 to 90", ge=0, le=90)

    @field_validator("google_ads_api_version", "meta_api_version")
    @classmethod
    def _live_version(cls, version: str | None, info: ValidationInfo) -> str | None:
        # Judged on HUB_API_VERSION_DATE (declared above, so already in info.data) or today.
        if version is None:
            return None
        system = "google_ads" if info.field_name == "google_ads_api_version" else "meta"
        return versions.check_version(system, version, info.data.get("api_version_date") or versions.today_utc())

    @field_validator("salesforce_api_version")
    @classmethod
    def _salesforce_version(cls, version: str | None) -> str | None:
        return None if version is None else check_version(version)

    @field_validator("end_date")
    @classmethod
    def _not_before_start(cls, end: date | None, info: ValidationInfo) -> date | None:
        # A field check, not a model one, so it is reported along with any other bad value.
        start = info.data.get("start_date")
        if end is not None and start is not None and end < start:
            raise ValueError(f"is before HUB_START_DATE={start}")
        return end


# A credential: (its name, the settings fields any one of which holds it, what it is).
Credential = tuple[str, tuple[str, ...], str]


@dataclass(frozen=True)
class CredentialForm:
    """One way a system accepts credentials (a static token, an OAuth grant), with what it needs."""

    name: str
    needs: tuple[Credential, ...]


def _form(name: str, *needs: tuple[str, str | tuple[str, ...], str]) -> CredentialForm:
    return CredentialForm(name, tuple((n, (f,) if isinstance(f, str) else f, w) for n, f, w in needs))


# Per system: the credential forms it accepts (exactly one must be complete) and the credentials
# every form needs besides (account ids, the developer token).
_FORMS: dict[str, tuple[CredentialForm, ...]] = {
    "hubspot": (
        _form("a private app token", ("token", "hubspot_token", "a private app access token")),
        _form("an OAuth app's refresh grant", ("client_id", "hubspot_client_id", "the OAuth app's client id"),
              ("client_secret", "hubspot_client_secret", "the OAuth app's client secret"),
              ("refresh_token", "hubspot_refresh_token", "the installed app's refresh token")),
    ),
    "meta": (_form("a long-lived or system user token", ("access_token", "meta_access_token", "a Marketing API access token")),),
    "google_ads": (
        _form("an access token", ("access_token", "google_ads_access_token", "an OAuth access token")),
        _form("the OAuth refresh grant", ("client_id", "google_ads_client_id", "the OAuth client id"),
              ("client_secret", "google_ads_client_secret", "the OAuth client secret"),
              ("refresh_token", "google_ads_refresh_token", "a refresh token with the adwords scope")),
    ),
    "docusign": (
        _form("an access token", ("access_token", "docusign_access_token", "an OAuth access token")),
        _form("the JWT grant", ("integration_key", "docusign_integration_key", "the integration key"),
              ("user_id", "docusign_user_id", "the user id to impersonate"),
              ("private_key", ("docusign_private_key", "docusign_private_key_file"), "the integration key's RSA private key")),
        _form("the refresh grant", ("integration_key", "docusign_integration_key", "the integration key"),
              ("client_secret", "docusign_client_secret", "the integration's secret key"),
              ("refresh_token", "docusign_refresh_token", "a refresh token from the authorization code grant")),
    ),
    "shipstation": (_form("an API key", ("api_key", "shipstation_api_key", "a ShipStation v2 API key")),),
    "ecb": (_form("nothing"),),
    "salesforce": (
        _form("the client-credentials grant", ("client_id", "salesforce_client_id", "the connected app's consumer key"),
              ("client_secret", "salesforce_client_secret", "the connected app's consumer secret")),
        _form("a session id", ("access_token", "salesforce_access_token", "a session id (access token)")),
    ),
    "shippo": (_form("an API token", ("api_token", "shippo_api_token", "a Shippo API token (shippo_live_... or shippo_test_...)")),),
}
_COMMON: dict[str, tuple[Credential, ...]] = {
    "meta": (("ad_account_ids", ("meta_ad_account_ids",), "a comma list of ad account ids like act_1001"),),
    "google_ads": (
        ("developer_token", ("google_ads_developer_token",), "the developer token"),
        ("customer_ids", ("google_ads_customer_ids",), "a comma list of customer ids"),
    ),
    "docusign": (("account_id", ("docusign_account_id",), "the eSignature account id"),),
}
# Credentials that are identifiers, not secrets: they may appear in logs and metadata.
_NOT_SECRET = {"ad_account_ids", "customer_ids", "account_id", "client_id", "integration_key", "user_id"}
# How each vendor refers to fixing a refused grant (named in the AuthError a token endpoint causes).
_GRANT_FIXES = {
    "hubspot": "Reinstall the app (or check HUB_HUBSPOT_CLIENT_ID/_SECRET) and set HUB_HUBSPOT_REFRESH_TOKEN to the new refresh token",
    "google_ads": "Create a new refresh token with the adwords scope for this client (a refresh token is revoked when the user "
                  "withdraws access, the password changes for some scopes, or it goes unused for 6 months) and set "
                  "HUB_GOOGLE_ADS_REFRESH_TOKEN; check HUB_GOOGLE_ADS_CLIENT_ID/_SECRET belong to the same client",
    "docusign": "For the JWT grant check HUB_DOCUSIGN_INTEGRATION_KEY, HUB_DOCUSIGN_USER_ID and that the private key is "
                "the one uploaded to the integration key, and grant consent once (consent_required); for the refresh "
                "grant set HUB_DOCUSIGN_REFRESH_TOKEN to a new one",
    "salesforce": "Check HUB_SALESFORCE_CLIENT_ID/_SECRET are the connected app's consumer key and secret, that the app "
                  "enables the client credentials flow with a run-as user, and that HUB_SALESFORCE_BASE_URL is the org's My Domain URL",
}


def _var(field_name: str) -> str:
    return PREFIX + field_name.upper()


def _text(value: object) -> str:
    """A validated setting as the text the connectors use (secrets revealed, lists comma-joined)."""
    if value is None:
        return ""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, tuple):
        return ",".join(value)
    return str(value)


@dataclass(frozen=True)
class SystemConfig:
    """Where one vendor system lives, which API version it is called with, and how to authenticate."""

    system: str
    base_url: str
    credentials: Mapping[str, str] = field(repr=False)
    login_customer_id: str | None = None  # Google Ads manager account, when one is used
    api_version: str | None = None  # Google Ads and Meta only: the path's version
    api_version_warning: str | None = None  # set when that version sunsets within versions.WARN_DAYS
    credential_vars: tuple[str, ...] = ()  # the variables of the credential form in use (for errors)
    tokens: TokenSource | None = field(default=None, repr=False, compare=False)  # the bearer token's source

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
    shipstation_overlap_minutes: int
    hubspot_search_overlap_minutes: int
    shipstation_tracking_window_days: int
    connect_timeout_seconds: float
    read_timeout_seconds: float
    retry_max_seconds: float
    requests_per_second: float
    env: Mapping[str, str] = field(repr=False)
    settings: ConnectorSettings | None = field(default=None, repr=False, compare=False)
    shipstation_tracking_requests_per_night: int = 4000
    rate_limit_time_scale: float = 1.0
    lake_dir: Path | None = None  # the raw layer's Parquet copy (connectors/lake.py); None: not written
    # A published ECB rate is final, so a night asks only from the cursor; a backfill of past days
    # (pipelines/ingest/partitions.py) reaches back with this.
    ecb_restatement_days: int = 0

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
        """Read settings from `env` (default: os.environ); every bad value is named in one SettingsError."""
        env = dict(os.environ if env is None else env)
        s = ConnectorSettings.from_env(env)
        return cls(
            data_dir=s.data_dir,
            start_date=s.start_date,
            end_date=s.end_date,
            ecb_currencies=s.ecb_currencies,
            meta_restatement_days=s.meta_restatement_days,
            google_ads_restatement_days=s.google_ads_restatement_days,
            docusign_overlap_minutes=s.docusign_overlap_minutes,
            shipstation_overlap_minutes=s.shipstation_overlap_minutes,
            hubspot_search_overlap_minutes=s.hubspot_search_overlap_minutes,
            shipstation_tracking_window_days=s.shipstation_tracking_window_days,
            connect_timeout_seconds=s.http_connect_timeout_seconds,
            read_timeout_seconds=s.http_read_timeout_seconds,
            retry_max_seconds=s.http_retry_max_seconds,
            requests_per_second=s.http_requests_per_second,
            env=env,
            settings=s,
            shipstation_tracking_requests_per_night=s.shipstation_tracking_requests_per_night,
            rate_limit_time_scale=s.rate_limit_time_scale,
            lake_dir=s.lake_dir,
        )

    def system(self, system: str) -> SystemConfig:
        """The checked settings of one system; every missing variable is named with its fix."""
        if system not in _FORMS:
            raise ConfigError(f"unknown system {system!r}: expected one of {', '.join(SYSTEMS)}")
        s = self.settings or ConnectorSettings.from_env(self.env)
        var = f"HUB_{system.upper()}_BASE_URL"
        base_url = getattr(s, f"{system}_base_url")
        problems = []
        if not base_url:
            problems.append(f"{var} is not set: set it to the {system} API base URL")
        form, form_problems = _credential_form(s, system)
        problems += form_problems
        needs = (*(form.needs if form else ()), *_COMMON.get(system, ()))
        credentials = {}
        for name, field_names, what in _COMMON.get(system, ()):
            value = _credential(s, field_names)
            if not value:
                problems.append(f"{_var(field_names[0])} is not set: set it to {what}")
            credentials[name] = value
        if problems:
            raise ConfigError(f"{system} is not configured: " + "; ".join(problems))
        assert form is not None
        credentials.update({name: _credential(s, field_names) for name, field_names, _ in form.needs})
        version = warning = None
        if system in versions.CALENDARS:
            on = s.api_version_date or versions.today_utc()
            version = getattr(s, f"{system}_api_version") or versions.default_version(system, on)
            warning = versions.sunset_warning(system, version, on)
        return SystemConfig(
            system=system,
            base_url=base_url,
            credentials=credentials,
            login_customer_id=s.google_ads_login_customer_id if system == "google_ads" else None,
            api_version=version,
            api_version_warning=warning,
            credential_vars=tuple(_var(f) for _, field_names, _ in needs for f in field_names),
            tokens=self._token_source(system, s, credentials),
        )

    def _token_source(self, system: str, s: ConnectorSettings, credentials: Mapping[str, str]) -> TokenSource | None:
        """The bearer token's source: a grant when its credentials are set, the static token otherwise."""
        from connectors import tokens

        timeout = httpx.Timeout(self.connect_timeout_seconds, read=self.read_timeout_seconds)
        fix = _GRANT_FIXES.get(system, "")

        def grant_source(url: str, grant: tokens.Grant) -> TokenSource:
            secrets = tuple(v for k, v in credentials.items() if k not in _NOT_SECRET and v)
            return tokens.shared(
                (system, url, *credentials.values()),
                lambda: tokens.GrantToken(system, url, grant, secrets, timeout, self.retry_max_seconds),
            )

        if system == "salesforce" and credentials.get("client_secret"):
            secrets = tuple(v for k, v in credentials.items() if k not in _NOT_SECRET and v)
            return tokens.shared((system, s.salesforce_base_url or "", *credentials.values()),
                                 lambda: client_credentials_token(s.salesforce_base_url or "", credentials, secrets,
                                                                  timeout, self.retry_max_seconds, fix))
        if credentials.get("refresh_token"):
            url = getattr(s, f"{system}_token_url")
            client = credentials.get("client_id") or credentials["integration_key"]
            grant = tokens.refresh_grant(client, credentials["client_secret"], credentials["refresh_token"], fix,
                                         basic_auth=system == "docusign")
            return grant_source(url, grant)
        if credentials.get("private_key"):
            grant = tokens.docusign_jwt_grant(credentials["integration_key"], credentials["user_id"],
                                              credentials["private_key"], s.docusign_token_url, fix)
            return grant_source(s.docusign_token_url, grant)
        static = credentials.get("access_token") or credentials.get("token")
        return StaticToken(static) if static else None


def _credential(s: ConnectorSettings, field_names: tuple[str, ...]) -> str:
    """The first of `field_names` that is set, as text; a key file's content rather than its path."""
    for name in field_names:
        value = getattr(s, name)
        if isinstance(value, Path):
            return value.read_text()
        if value is not None:
            return _text(value)
    return ""


def _credential_form(s: ConnectorSettings, system: str) -> tuple[CredentialForm | None, list[str]]:
    """The one complete credential form of `system`, or the problems saying what to set."""
    forms = _FORMS[system]
    complete = [f for f in forms if all(_credential(s, names) for _, names, _ in f.needs)]
    if len(complete) == 1:
        return complete[0], []
    if len(complete) > 1:
        named = " and ".join(f"{f.name} ({', '.join(_var(n[0]) for _, n, _ in f.needs)})" for f in complete)
        return None, [f"both {named} are set: unset the variables of the one you do not use"]
    # The form the user began to fill in (the most variables set), else the first: the simplest.
    form = max(forms, key=lambda f: sum(bool(_credential(s, names)) for _, names, _ in f.needs))
    return None, [
        f"{' or '.join(_var(n) for n in names)} is not set: set it to {what}"
        for _, names, what in form.needs if not _credential(s, names)
    ]


def env_number(env: Mapping[str, str], var: str, default: N, parse: Callable[[str], N], kind: str) -> N:
    """A finite, non-negative number from `var`, or `default` when unset; a ConfigError says what is wrong."""
    raw = env.get(var)
    if not raw:
        return default
    try:
        value = parse(raw)
    except ValueError:
        raise ConfigError(f"{var}={raw!r} is not {kind}") from None
    if not math.isfinite(value):
        raise ConfigError(f"{var}={raw!r} is not a finite number: use {kind}")
    if value < 0:
        raise ConfigError(f"{var}={raw!r} must not be negative")
    return value
