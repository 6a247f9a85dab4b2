"""Every `HUB_*` variable the hub reads, validated together before anything is written.

The connectors declare theirs in `connectors.config.ConnectorSettings` (they must not import us);
the variables only the pipelines read are declared here, by role. `load_settings` validates all
of them at once and raises one SettingsError listing every bad value; `python -m pipelines` calls
it first, so a bad setting stops a command before it creates a folder. The CLI's help and the
README's Configuration table are both generated from these classes (`settings_table`).
"""

from __future__ import annotations

import ipaddress
import os
import re
import zoneinfo
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, SecretStr

from connectors.config import (
    BaseUrl,
    CommaList,
    ConnectorSettings,
    Day,
    HubSettingsModel,
    Secret,
    SettingsError,
    Variable,
    currency_code,
    strip_text,
    setting,
    split_url,
)
from sandbox.apis.limits import DEFAULT_TIME_SCALE
from sandbox.world import DEFAULT_AS_OF, DEFAULT_SEED, SCALES, WORLD_END, WORLD_START

# DuckDB's memory sizes: a number and a unit, KB/MB/GB/TB (1000^i) or KiB/MiB/GiB/TiB (1024^i),
# case-insensitive (https://duckdb.org/docs/configuration/overview, `memory_limit`; DuckDB's own
# parser names the same units when it refuses one).
_MEMORY = re.compile(r"(\d+(?:\.\d+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)
_UNIT_BYTES = {"kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
MIN_DBT_MEMORY_BYTES = 64 * 10**6  # below this a dbt build spills every join to disk or fails


def _memory_limit(value: str) -> str:
    match = _MEMORY.fullmatch(value.strip())
    if not match:
        raise ValueError("is not a DuckDB memory size")
    if float(match[1]) * _UNIT_BYTES[match[2].lower()] < MIN_DBT_MEMORY_BYTES:
        raise ValueError("is below 64MB")
    return value.strip()


def _cron(value: str) -> str:
    """Dagster's own check, so what passes here is what the schedule accepts (five fields, no 30 Feb)."""
    from dagster._utils.schedules import is_valid_cron_string

    if not is_valid_cron_string(value.strip()):
        raise ValueError("is not a cron expression Dagster accepts")
    return value.strip()


def _timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value.strip())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError("is not an IANA time zone") from None
    return value.strip()


def _host(value: str) -> str:
    value = value.strip()
    try:
        ipaddress.ip_address(value)
        return value
    except ValueError:
        pass
    if not re.fullmatch(r"(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*", value):
        raise ValueError("is not a host name or IP address")
    return value


def _webhook(value: SecretStr | None) -> SecretStr | None:
    """https, or plain http only to this machine: the URL is a credential and must not travel in clear."""
    if value is None:
        return None
    parts = split_url(value.get_secret_value())
    loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if not parts.hostname or not (parts.scheme == "https" or (parts.scheme == "http" and loopback)):
        raise ValueError("is not an https URL (plain http only to localhost)")
    if parts.username is not None or parts.password is not None or parts.fragment:
        raise ValueError("carries a user name, password or fragment")
    return value


def _sandbox_scale(value: str) -> str:
    if value.strip() not in SCALES:
        raise ValueError("is not a sandbox scale")
    return value.strip()


def _sandbox_day(value: date) -> date:
    if not WORLD_START <= value <= WORLD_END:
        raise ValueError(f"is outside the sandbox world ({WORLD_START}..{WORLD_END})")
    return value


Currency = Annotated[str, BeforeValidator(strip_text), AfterValidator(currency_code)]
_SHARE = "a share from 0 to 1, e.g. 0.05 for 5%"
_URL = "an http(s) URL without user:pw@, query or fragment"


_SPARK_MASTER = re.compile(r"local(\[(\d+|\*)\])?|spark://[\w.-]+:\d+|yarn|k8s://https?://[\w.-]+(:\d+)?")


def _spark_master(value: str) -> str:
    """A master URL Spark accepts (https://spark.apache.org/docs/latest/submitting-applications.html#master-urls)."""
    if not _SPARK_MASTER.fullmatch(value):
        raise ValueError("is not a Spark master URL")
    return value


class DbtSettings(HubSettingsModel):
    """What the dbt build reads: vars we pass and `env_var(...)` calls in the dbt project."""

    reporting_currency: Currency = setting(
        "EUR", "currency of every reported amount (ECB rate of the event date; any case)",
        "EUR or one of HUB_ECB_CURRENCIES, e.g. USD",
    )
    as_of: Day | None = setting(None, "report date (exclusive) of the marts (unset: the data's latest day)", "a date as YYYY-MM-DD")
    dbt_duckdb_memory_limit: Annotated[str, AfterValidator(_memory_limit)] = setting(
        "256MB", "DuckDB memory cap of the dbt build (it spills past it)",
        "a DuckDB size of at least 64MB, e.g. 256MB or 1GiB (units KB, MB, GB, TB, KiB, MiB, GiB, TiB)",
    )
    dbt_target: Literal["duckdb", "postgres", "spark"] = setting(
        "duckdb", "dbt target of the nightly's dbt step (postgres only checks the SQL is portable; spark builds from HUB_LAKE_DIR)",
        "duckdb, postgres or spark",
    )
    pg_host: Annotated[str, AfterValidator(_host)] = setting("127.0.0.1", "postgres host of the portability target", "a host name or IP address")
    pg_port: int = setting(5432, "postgres port of the portability target", "a port from 1 to 65535", ge=1, le=65535)
    pg_user: str = setting("postgres", "postgres user of the portability target", "a user name")
    pg_password: SecretStr | None = setting(None, "postgres password of the portability target", "the password", secret=True)
    pg_database: str = setting("hub", "postgres database of the portability target", "a database name")
    spark_master: Annotated[str, AfterValidator(_spark_master)] = setting(
        "local[2]", "Spark master of the `spark` dbt target (python -m pipelines spark-build)",
        "local, local[N], local[*], spark://host:port, yarn or k8s://https://host:port",
    )
    spark_shuffle_partitions: int = setting(
        4, "spark.sql.shuffle.partitions of the `spark` dbt target (small: local mode on 2 cores)",
        "a whole number from 1 to 10000", ge=1, le=10000,
    )


class ScheduleSettings(HubSettingsModel):
    """When the `nightly` schedule runs."""

    nightly_cron: Annotated[str, AfterValidator(_cron)] = setting("0 3 * * *", "when the `nightly` schedule runs", "a five-field cron expression, e.g. 0 3 * * *")
    timezone: Annotated[str, AfterValidator(_timezone)] = setting("UTC", "time zone of HUB_NIGHTLY_CRON", "an IANA time zone, e.g. Europe/Berlin")


class ThresholdSettings(HubSettingsModel):
    """Blocking asset checks: past these rates the marts are not published."""

    max_quarantine_rate: float = setting(0.01, "share of a load's records it may quarantine", _SHARE, ge=0, le=1)
    max_orphan_shipment_rate: float = setting(0.5, "share of counted shipments that may match no contract", _SHARE, ge=0, le=1)
    max_unattributed_lead_rate: float = setting(0.5, "share of leads that may have channel `unattributed`", _SHARE, ge=0, le=1)


class RunSettings(HubSettingsModel):
    """How runs are retried and reported, and where the UI listens."""

    ingest_retry_seconds: float = setting(30.0, "wait before Dagster retries an ingest step that failed for a transient reason", "seconds from 0 to 3600", ge=0, le=3600)
    pool_wait_seconds: float = setting(
        1800.0, "how long a step waits for a warehouse pool slot held by a live run before failing", "seconds from 0 to 86400", ge=0, le=86400
    )
    alert_webhook_url: Annotated[SecretStr | None, AfterValidator(_webhook)] = setting(
        None, "Slack-compatible webhook for run failures (unset: no alerts)", "an https URL (http only to localhost)", secret=True
    )
    ui_url: BaseUrl = setting(None, "the UI address alert links point at (unset: http://HUB_UI_HOST:HUB_UI_PORT)", _URL)
    ui_host: Annotated[str, AfterValidator(_host)] = setting("127.0.0.1", "where `make ui` listens", "a host name or IP address")
    ui_port: int = setting(3000, "where `make ui` listens", "a port from 1 to 65535", ge=1, le=65535)


class SandboxSettings(HubSettingsModel):
    """The sandbox world `make run`/`make ui` start for systems without a base URL."""

    sandbox_seed: int = setting(DEFAULT_SEED, "seed of the sandbox world", "a whole number from 0 to 2147483647", ge=0, le=2**31 - 1)
    sandbox_scale: Annotated[str, AfterValidator(_sandbox_scale)] = setting("medium", "size of the sandbox world", f"one of {', '.join(SCALES)}")
    sandbox_as_of: Annotated[Day, AfterValidator(_sandbox_day)] = setting(
        DEFAULT_AS_OF, "the sandbox's clock; it becomes HUB_AS_OF and HUB_END_DATE unless those are set",
        f"a date as YYYY-MM-DD from {WORLD_START} to {WORLD_END}",
    )
    # read by `python -m sandbox serve` (its --time-scale default), so any sandbox started here uses it
    sandbox_time_scale: float = setting(DEFAULT_TIME_SCALE, "vendor seconds per real second of the sandbox's enforced rate limits", "a number above 0, at most 100000", gt=0, le=100_000)


_TABLE_COLUMN = re.compile(r"[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*")
MIN_PSEUDONYM_KEY_CHARS = 32  # a random key of this many URL-safe characters carries about 190 bits


def _pseudonym_key(value: SecretStr | None) -> SecretStr | None:
    if value is not None and len(value.get_secret_value()) < MIN_PSEUDONYM_KEY_CHARS:
        raise ValueError(f"is shorter than {MIN_PSEUDONYM_KEY_CHARS} characters")
    return value


def _table_columns(values: tuple[str, ...]) -> tuple[str, ...]:
    bad = [value for value in values if not _TABLE_COLUMN.fullmatch(value.lower())]
    if bad:
        raise ValueError(f"has {bad[0]!r}, which is not <table>.<column>")
    return tuple(value.lower() for value in values)


class PrivacySettings(HubSettingsModel):
    """Personal data in what the hub publishes (pipelines/privacy, docs/BI.md)."""

    pseudonym_key: Annotated[Secret, AfterValidator(_pseudonym_key)] = setting(
        None, "key of the keyed hash (HMAC-SHA256) that turns personal values into published pseudonyms "
        "(unset: a random key generated once and kept in HUB_DATA_DIR/privacy/pseudonym.key)",
        f"at least {MIN_PSEUDONYM_KEY_CHARS} characters, e.g. from python -c 'import secrets; print(secrets.token_urlsafe(32))'",
        secret=True,
    )
    publish_in_clear: Annotated[CommaList, AfterValidator(_table_columns)] = setting(
        (), "personal columns an owner chooses to publish in the clear (unset: every marked column is pseudonymised)",
        "comma-separated <table>.<column> of columns marked personal_data, e.g. dim_customer.customer_name",
    )


# Each group and the sub-commands that read it (the CLI's help lists them from here).
GROUPS: tuple[tuple[str, type[HubSettingsModel]], ...] = (
    ("connectors", ConnectorSettings),
    ("dbt", DbtSettings),
    ("schedule", ScheduleSettings),
    ("checks", ThresholdSettings),
    ("runs", RunSettings),
    ("sandbox", SandboxSettings),
    ("privacy", PrivacySettings),
)


@dataclass(frozen=True)
class HubSettings:
    """All the hub's settings, each group validated."""

    connectors: ConnectorSettings
    dbt: DbtSettings
    schedule: ScheduleSettings
    thresholds: ThresholdSettings
    runs: RunSettings
    sandbox: SandboxSettings
    privacy: PrivacySettings


def load_settings(env: Mapping[str, str] | None = None) -> HubSettings:
    """Validate every group over `env` (default: os.environ); one SettingsError lists every bad value."""
    env = dict(os.environ if env is None else env)
    groups: dict[str, HubSettingsModel] = {}
    problems: list[str] = []
    for name, cls in GROUPS:
        try:
            groups[name] = cls.from_env(env)
        except SettingsError as exc:
            problems.extend(exc.problems)
    connectors, dbt = groups.get("connectors"), groups.get("dbt")
    if isinstance(connectors, ConnectorSettings) and isinstance(dbt, DbtSettings):
        if dbt.reporting_currency != "EUR" and dbt.reporting_currency not in connectors.ecb_currencies:
            # Without its rates every amount would convert to null and publish as 0.00.
            problems.append(
                f"HUB_REPORTING_CURRENCY={dbt.reporting_currency!r} is not among HUB_ECB_CURRENCIES="
                f"{','.join(connectors.ecb_currencies)!r}: use EUR or one of those, or add it to HUB_ECB_CURRENCIES"
            )
    if problems:
        raise SettingsError(problems)
    return HubSettings(*groups.values())  # type: ignore[arg-type]


def variables(*group_names: str) -> Iterator[Variable]:
    """The variables of the named groups (all when none are named), in declaration order."""
    for name, cls in GROUPS:
        if not group_names or name in group_names:
            yield from cls.variables()


def settings_help(*group_names: str) -> str:
    """Plain-text list of the variables a command reads, for `--help`."""
    lines = ["environment variables read (HUB_*; unset or empty means the default):"]
    for variable in variables(*group_names):
        lines.append(f"  {variable.name} (default {variable.default_text}): {variable.description}")
    return "\n".join(lines)


def settings_table() -> str:
    """The README's Configuration table, generated so it cannot drift from the declarations."""
    rows = ["| variable | default | allowed | meaning |", "|---|---|---|---|"]
    for variable in variables():
        default = "unset" if variable.default_text == "unset" else f"`{variable.default_text}`"
        cells = [f"`{variable.name}`", default, variable.allowed, variable.description]
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows)


def settings_resource(settings_cls: type[HubSettingsModel], name: str, doc: str) -> type:
    """A Dagster resource class with one optional text field per non-secret variable of `settings_cls`.

    The UI shows each field with its variable's description; a test or the launchpad sets a field
    instead of the variable. A field left unset is read from the environment when a run asks,
    and secrets come only from the environment (they never appear as resource config).
    """
    import dagster as dg
    from pydantic import Field, create_model

    class SettingsResource(dg.ConfigurableResource):
        def settings_env(self) -> dict[str, str]:
            """The environment with this resource's set fields laid over it, as variables."""
            overrides = {
                variable.name: str(value)
                for variable in settings_cls.variables()
                if not variable.secret and (value := getattr(self, variable.field_name, None)) is not None
            }
            return {**os.environ, **overrides}

    fields: dict = {
        v.field_name: (str | None, Field(None, description=f"{v.description}. Unset: ${v.name}, else {v.default_text}."))
        for v in settings_cls.variables()
        if not v.secret
    }
    return create_model(name, __base__=SettingsResource, __doc__=doc, __module__="pipelines.resources", **fields)
