"""Settings: every bad value is refused with its own message, before any command writes anything."""

import os
import re
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from connectors.config import SettingsError
from pipelines.settings import load_settings, settings_table, variables

REPO = Path(__file__).resolve().parents[2]
RANGE = "use seconds from 0 to 3600"
SHARE = "use a share from 0 to 1, e.g. 0.05 for 5%"
ECB_LIST = "use a comma list of currencies the ECB publishes a euro rate for, e.g. USD,GBP (not EUR, the base)"
CURRENCY = "use EUR or one of HUB_ECB_CURRENCIES, e.g. USD"
MEMORY = "use a DuckDB size of at least 64MB, e.g. 256MB or 1GiB (units KB, MB, GB, TB, KiB, MiB, GiB, TiB)"
CRON = "use a five-field cron expression, e.g. 0 3 * * *"
URL = "use an http(s) URL without user:pw@, query or fragment"
END = "use a date as YYYY-MM-DD, not before HUB_START_DATE (with the sandbox, unset means the day before HUB_SANDBOX_AS_OF)"
WEBHOOK = "use an https URL (http only to localhost)"

# (variable, value, the one line the settings check must print for it)
BAD_SETTINGS = [
    ("HUB_HTTP_RETRY_MAX_SECONDS", "soon", f"HUB_HTTP_RETRY_MAX_SECONDS='soon' is not a number: {RANGE}"),
    ("HUB_HTTP_RETRY_MAX_SECONDS", "inf", f"HUB_HTTP_RETRY_MAX_SECONDS='inf' is not a finite number: {RANGE}"),
    ("HUB_HTTP_RETRY_MAX_SECONDS", "-inf", f"HUB_HTTP_RETRY_MAX_SECONDS='-inf' is not a finite number: {RANGE}"),
    ("HUB_HTTP_RETRY_MAX_SECONDS", "-5", f"HUB_HTTP_RETRY_MAX_SECONDS='-5' is outside 0..3600: {RANGE}"),
    ("HUB_HTTP_RETRY_MAX_SECONDS", "86400", f"HUB_HTTP_RETRY_MAX_SECONDS='86400' is outside 0..3600: {RANGE}"),
    ("HUB_HTTP_REQUESTS_PER_SECOND", "nan", "HUB_HTTP_REQUESTS_PER_SECOND='nan' is not a finite number: use a number from 0 (unlimited) to 1000"),
    ("HUB_HTTP_REQUESTS_PER_SECOND", "-1", "HUB_HTTP_REQUESTS_PER_SECOND='-1' is outside 0..1000: use a number from 0 (unlimited) to 1000"),
    ("HUB_HTTP_CONNECT_TIMEOUT_SECONDS", "0", "HUB_HTTP_CONNECT_TIMEOUT_SECONDS='0' must be above 0: use seconds above 0, at most 300"),
    ("HUB_HTTP_READ_TIMEOUT_SECONDS", "NaN", "HUB_HTTP_READ_TIMEOUT_SECONDS='NaN' is not a finite number: use seconds above 0, at most 3600"),
    ("HUB_HTTP_READ_TIMEOUT_SECONDS", "1e9", "HUB_HTTP_READ_TIMEOUT_SECONDS='1e9' is outside 0..3600: use seconds above 0, at most 3600"),
    ("HUB_META_RESTATEMENT_DAYS", "four", "HUB_META_RESTATEMENT_DAYS='four' is not a whole number: use a whole number of days from 0 to 365"),
    ("HUB_META_RESTATEMENT_DAYS", "2.5", "HUB_META_RESTATEMENT_DAYS='2.5' is not a whole number: use a whole number of days from 0 to 365"),
    ("HUB_GOOGLE_ADS_RESTATEMENT_DAYS", "-1", "HUB_GOOGLE_ADS_RESTATEMENT_DAYS='-1' is outside 0..365: use a whole number of days from 0 to 365"),
    ("HUB_GOOGLE_ADS_RESTATEMENT_DAYS", "1000", "HUB_GOOGLE_ADS_RESTATEMENT_DAYS='1000' is outside 0..365: use a whole number of days from 0 to 365"),
    ("HUB_DOCUSIGN_OVERLAP_MINUTES", "10080", "HUB_DOCUSIGN_OVERLAP_MINUTES='10080' is outside 0..1440: use a whole number of minutes from 0 to 1440"),
    ("HUB_SHIPSTATION_TRACKING_WINDOW_DAYS", "0", "HUB_SHIPSTATION_TRACKING_WINDOW_DAYS='0' is outside 1..365: use a whole number of days from 1 to 365"),
    ("HUB_START_DATE", "2025/01/01", "HUB_START_DATE='2025/01/01' is not a date: use a date as YYYY-MM-DD, e.g. 2025-01-01"),
    ("HUB_START_DATE", "1735689600", "HUB_START_DATE='1735689600' is not a date: use a date as YYYY-MM-DD, e.g. 2025-01-01"),
    ("HUB_END_DATE", "2025-02-30", f"HUB_END_DATE='2025-02-30' is not a date: {END}"),
    ("HUB_END_DATE", "2024-12-31", f"HUB_END_DATE='2024-12-31' is before HUB_START_DATE=2025-01-01: {END}"),
    ("HUB_AS_OF", "01.11.2026", "HUB_AS_OF='01.11.2026' is not a date: use a date as YYYY-MM-DD"),
    ("HUB_ECB_CURRENCIES", "XXX", f"HUB_ECB_CURRENCIES='XXX' names XXX, which has no ECB euro reference rate: {ECB_LIST}"),
    ("HUB_ECB_CURRENCIES", ",", f"HUB_ECB_CURRENCIES=',' is an empty list: {ECB_LIST}"),
    ("HUB_ECB_CURRENCIES", "USD,EUR", f"HUB_ECB_CURRENCIES='USD,EUR' lists EUR, the ECB's base currency, which has no rate of its own: {ECB_LIST}"),
    ("HUB_ECB_CURRENCIES", "USD,usd", f"HUB_ECB_CURRENCIES='USD,usd' lists a currency twice: {ECB_LIST}"),
    ("HUB_ECB_CURRENCIES", "RUB", f"HUB_ECB_CURRENCIES='RUB' names RUB, which has no ECB euro reference rate: {ECB_LIST}"),
    ("HUB_REPORTING_CURRENCY", "XXX", f"HUB_REPORTING_CURRENCY='XXX' names XXX, which has no ECB euro reference rate: {CURRENCY}"),
    ("HUB_REPORTING_CURRENCY", "US'D", f"HUB_REPORTING_CURRENCY=\"US'D\" is not a three-letter currency code: {CURRENCY}"),
    ("HUB_REPORTING_CURRENCY", "EUR' or 1=1 --", f"HUB_REPORTING_CURRENCY=\"EUR' or 1=1 --\" is not a three-letter currency code: {CURRENCY}"),
    (
        "HUB_REPORTING_CURRENCY",
        "JPY",
        "HUB_REPORTING_CURRENCY='JPY' is not among HUB_ECB_CURRENCIES='USD,GBP,SEK,CHF': "
        "use EUR or one of those, or add it to HUB_ECB_CURRENCIES",
    ),
    ("HUB_MAX_QUARANTINE_RATE", "lots", f"HUB_MAX_QUARANTINE_RATE='lots' is not a number: {SHARE}"),
    ("HUB_MAX_QUARANTINE_RATE", "1.5", f"HUB_MAX_QUARANTINE_RATE='1.5' is outside 0..1: {SHARE}"),
    ("HUB_MAX_ORPHAN_SHIPMENT_RATE", "-0.1", f"HUB_MAX_ORPHAN_SHIPMENT_RATE='-0.1' is outside 0..1: {SHARE}"),
    ("HUB_MAX_UNATTRIBUTED_LEAD_RATE", "nan", f"HUB_MAX_UNATTRIBUTED_LEAD_RATE='nan' is not a finite number: {SHARE}"),
    ("HUB_INGEST_RETRY_SECONDS", "inf", f"HUB_INGEST_RETRY_SECONDS='inf' is not a finite number: {RANGE}"),
    ("HUB_DBT_DUCKDB_MEMORY_LIMIT", "lots", f"HUB_DBT_DUCKDB_MEMORY_LIMIT='lots' is not a DuckDB memory size: {MEMORY}"),
    ("HUB_DBT_DUCKDB_MEMORY_LIMIT", "256", f"HUB_DBT_DUCKDB_MEMORY_LIMIT='256' is not a DuckDB memory size: {MEMORY}"),
    ("HUB_DBT_DUCKDB_MEMORY_LIMIT", "1KB", f"HUB_DBT_DUCKDB_MEMORY_LIMIT='1KB' is below 64MB: {MEMORY}"),
    ("HUB_DBT_DUCKDB_MEMORY_LIMIT", "80%", f"HUB_DBT_DUCKDB_MEMORY_LIMIT='80%' is not a DuckDB memory size: {MEMORY}"),
    (
        "HUB_DBT_DUCKDB_MEMORY_LIMIT",
        "256MB'; drop table raw.x; --",
        f"HUB_DBT_DUCKDB_MEMORY_LIMIT=\"256MB'; drop table raw.x; --\" is not a DuckDB memory size: {MEMORY}",
    ),
    ("HUB_DBT_TARGET", "sqlite", "HUB_DBT_TARGET='sqlite' is not one of the allowed values: use duckdb, postgres or spark"),
    ("HUB_NIGHTLY_CRON", "0 3 * *", f"HUB_NIGHTLY_CRON='0 3 * *' is not a cron expression Dagster accepts: {CRON}"),
    ("HUB_NIGHTLY_CRON", "0 0 30 2 *", f"HUB_NIGHTLY_CRON='0 0 30 2 *' is not a cron expression Dagster accepts: {CRON}"),
    ("HUB_NIGHTLY_CRON", "every night", f"HUB_NIGHTLY_CRON='every night' is not a cron expression Dagster accepts: {CRON}"),
    ("HUB_TIMEZONE", "Mars/Olympus", "HUB_TIMEZONE='Mars/Olympus' is not an IANA time zone: use an IANA time zone, e.g. Europe/Berlin"),
    ("HUB_TIMEZONE", "../../etc/passwd", "HUB_TIMEZONE='../../etc/passwd' is not an IANA time zone: use an IANA time zone, e.g. Europe/Berlin"),
    ("HUB_UI_PORT", "0", "HUB_UI_PORT='0' is outside 1..65535: use a port from 1 to 65535"),
    ("HUB_UI_PORT", "70000", "HUB_UI_PORT='70000' is outside 1..65535: use a port from 1 to 65535"),
    ("HUB_UI_HOST", "local host", "HUB_UI_HOST='local host' is not a host name or IP address: use a host name or IP address"),
    ("HUB_UI_URL", "ftp://127.0.0.1:3000", f"HUB_UI_URL='ftp://127.0.0.1:3000' is not an http(s) URL: {URL}"),
    ("HUB_HUBSPOT_BASE_URL", "api.hubapi.com", f"HUB_HUBSPOT_BASE_URL='api.hubapi.com' is not an http(s) URL: {URL}"),
    (
        "HUB_HUBSPOT_BASE_URL",
        "https://api.hubapi.com?hapikey=1",
        f"HUB_HUBSPOT_BASE_URL='https://api.hubapi.com?hapikey=1' carries a query or fragment (?... or #...): {URL}",
    ),
    ("HUB_HUBSPOT_BASE_URL", "https://api.hubapi.com/#frag", f"HUB_HUBSPOT_BASE_URL='https://api.hubapi.com/#frag' carries a query or fragment (?... or #...): {URL}"),
    (
        "HUB_SHIPSTATION_BASE_URL",
        "https://user:pw@api.shipstation.com",
        "HUB_SHIPSTATION_BASE_URL='https://***@api.shipstation.com' carries a user name or password (user:pw@): "
        f"credentials belong in their own variables: {URL}",
    ),
    ("HUB_ECB_BASE_URL", "https://data-api.ecb.europa.eu:99999", f"HUB_ECB_BASE_URL='https://data-api.ecb.europa.eu:99999' is not a URL: {URL}"),
    (
        "HUB_ALERT_WEBHOOK_URL",
        "http://hooks.slack.com/services/T0/B0/abc",
        f"HUB_ALERT_WEBHOOK_URL=<secret, 41 characters> is not an https URL (plain http only to localhost): {WEBHOOK}",
    ),
    (
        "HUB_ALERT_WEBHOOK_URL",
        "https://u:p@hooks.slack.com/services/T0/B0/abc",
        f"HUB_ALERT_WEBHOOK_URL=<secret, 46 characters> carries a user name, password or fragment: {WEBHOOK}",
    ),
    (
        "HUB_META_ACCESS_TOKEN",
        "EAAB tok",
        "HUB_META_ACCESS_TOKEN=<secret, 8 characters> contains whitespace or a control character: use the token as issued, one line",
    ),
    (
        "HUB_META_AD_ACCOUNT_IDS",
        "1001",
        "HUB_META_AD_ACCOUNT_IDS='1001' has '1001', which is not an id of this form: use a comma list of ad account ids like act_1001",
    ),
    ("HUB_META_AD_ACCOUNT_IDS", " , ", "HUB_META_AD_ACCOUNT_IDS=' , ' is an empty list: use a comma list of ad account ids like act_1001"),
    (
        "HUB_GOOGLE_ADS_CUSTOMER_IDS",
        "123-456-789",
        "HUB_GOOGLE_ADS_CUSTOMER_IDS='123-456-789' has '123-456-789', which is not an id of this form: "
        "use a comma list of 10-digit customer ids, e.g. 1234567890 or 123-456-7890",
    ),
    (
        "HUB_GOOGLE_ADS_LOGIN_CUSTOMER_ID",
        "abc",
        "HUB_GOOGLE_ADS_LOGIN_CUSTOMER_ID='abc' has 'abc', which is not an id of this form: "
        "use a 10-digit customer id, e.g. 1234567890 or 123-456-7890",
    ),
    (
        "HUB_DOCUSIGN_ACCOUNT_ID",
        "acct;drop",
        "HUB_DOCUSIGN_ACCOUNT_ID='acct;drop' is not an id of this form: use the account id GUID or the account number",
    ),
    ("HUB_SANDBOX_SCALE", "huge", "HUB_SANDBOX_SCALE='huge' is not a sandbox scale: use one of tiny, small, medium, large"),
    ("HUB_SANDBOX_SEED", "-1", "HUB_SANDBOX_SEED='-1' is outside 0..2147483647: use a whole number from 0 to 2147483647"),
    ("HUB_SANDBOX_SEED", "one", "HUB_SANDBOX_SEED='one' is not a whole number: use a whole number from 0 to 2147483647"),
    (
        "HUB_SANDBOX_AS_OF",
        "2030-01-01",
        "HUB_SANDBOX_AS_OF='2030-01-01' is outside the sandbox world (2025-11-01..2027-02-01): "
        "use a date as YYYY-MM-DD from 2025-11-01 to 2027-02-01",
    ),
    ("HUB_PG_PORT", "65536", "HUB_PG_PORT='65536' is outside 1..65535: use a port from 1 to 65535"),
]


@pytest.mark.parametrize(("variable", "value", "message"), BAD_SETTINGS, ids=[f"{v}={x}" for v, x, _ in BAD_SETTINGS])
def test_a_bad_setting_is_refused_with_its_message(variable: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError) as err:
        load_settings({variable: value})
    assert err.value.problems == (message,)


def test_secrets_are_never_printed() -> None:
    secrets = {v: "tok en" for v in ("HUB_HUBSPOT_TOKEN", "HUB_META_ACCESS_TOKEN", "HUB_SHIPSTATION_API_KEY")}
    with pytest.raises(SettingsError) as err:
        load_settings({**secrets, "HUB_ALERT_WEBHOOK_URL": "http://hooks.example.com/T0/tok en"})
    assert len(err.value.problems) == 4
    assert "tok en" not in str(err.value)


def test_good_values_are_normalised() -> None:
    settings = load_settings({"HUB_REPORTING_CURRENCY": " usd ", "HUB_ECB_CURRENCIES": "usd,jpy", "HUB_AS_OF": "2026-11-01"})
    assert (settings.dbt.reporting_currency, settings.connectors.ecb_currencies) == ("USD", ("USD", "JPY"))
    assert settings.dbt.as_of is not None and settings.dbt.as_of.isoformat() == "2026-11-01"


def test_the_reporting_currency_reaches_dbt_only_checked() -> None:
    from pipelines.transform.project import vars_arg

    assert vars_arg({"HUB_REPORTING_CURRENCY": "gbp"}) == ["--vars", '{"reporting_currency": "GBP"}']
    with pytest.raises(SettingsError, match="HUB_REPORTING_CURRENCY=\"GBP' --\" is not a three-letter currency code"):
        vars_arg({"HUB_REPORTING_CURRENCY": "GBP' --"})


def test_resources_take_their_fields_from_the_settings_and_never_a_secret() -> None:
    from pipelines.resources import HubConfigResource, ThresholdsResource

    hub = HubConfigResource(data_dir="/srv/hub", ecb_currencies="usd")
    config = hub.load()
    assert (str(config.data_dir), config.ecb_currencies) == ("/srv/hub", ("USD",))
    assert ThresholdsResource(max_quarantine_rate="0.2").load().max_quarantine_rate == 0.2
    with pytest.raises(SettingsError, match=r"HUB_MAX_QUARANTINE_RATE='nan' is not a finite number"):
        ThresholdsResource(max_quarantine_rate="nan").load()
    fields = set(HubConfigResource.model_fields)
    assert {"hubspot_base_url", "meta_ad_account_ids"} <= fields
    assert not fields & {"hubspot_token", "meta_access_token", "shipstation_api_key", "google_ads_developer_token"}
    # The UI shows each field with its variable's description.
    schema = HubConfigResource.to_config_schema().as_field().config_type.fields  # type: ignore[attr-defined]
    assert "HUB_START_DATE" in schema["start_date"].description


def test_a_resource_field_is_read_when_the_run_asks(tmp_path: Path) -> None:
    """A field set on the resource reaches the asset without any variable in os.environ."""
    from pipelines.resources import HubConfigResource

    @dg.asset
    def where(hub: HubConfigResource) -> str:
        return str(hub.load().data_dir)

    result = dg.materialize([where], resources={"hub": HubConfigResource(data_dir=str(tmp_path / "d"))})
    assert result.output_for_node("where") == str(tmp_path / "d")


def _clean_env(data_dir: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not (k.startswith("HUB_") or k == "DAGSTER_HOME")}
    return {**env, "HUB_DATA_DIR": str(data_dir), **settings}


@pytest.mark.parametrize("command", ["nightly", "ui", "prepare"])
def test_a_command_with_bad_settings_lists_them_all_and_writes_nothing(tmp_path: Path, command: str) -> None:
    bad = {
        "HUB_NIGHTLY_CRON": "0 3 * *",  # a one-off nightly is refused too: the schedule could not load
        "HUB_REPORTING_CURRENCY": "XXX",
        "HUB_HTTP_RETRY_MAX_SECONDS": "inf",
        "HUB_SHIPSTATION_API_KEY": "key with spaces",
    }
    done = subprocess.run(
        [sys.executable, "-m", "pipelines", command],
        cwd=tmp_path, env=_clean_env(tmp_path / "data", **bad), capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"python -m pipelines {command}: refused, nothing was written.")
    for variable in bad:
        assert sum(line.startswith(f"  - {variable}=") for line in done.stderr.splitlines()) == 1, done.stderr
    assert "key with spaces" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # no data dir, warehouse, landing or dagster_home


def test_a_start_after_the_sandbox_clock_is_refused_before_the_sandbox_starts(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pipelines", "nightly"],
        cwd=tmp_path, env=_clean_env(tmp_path / "data", HUB_START_DATE="2027-01-01", HUB_SANDBOX_SCALE="tiny"),
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "  - HUB_END_DATE='2026-10-31' is before HUB_START_DATE=2027-01-01: " in done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv", [["--help"], ["nightly", "--help"], ["ui", "--help"]])
def test_help_lists_every_variable(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """The top help and the commands that read every group; each command's own list is checked in
    test_pipelines_cli.py."""
    from pipelines.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    missing = [v.name for v in variables() if f"  {v.name} (default " not in text]
    assert not missing


def test_readme_configuration_table_is_the_generated_one() -> None:
    """Regenerate with: python -c 'from pipelines.settings import settings_table; print(settings_table())'."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    assert settings_table() in section


def test_every_variable_the_code_reads_is_declared() -> None:
    """A `HUB_*` name in the hub's code or dbt project that no settings class declares would go unchecked."""
    declared = {v.name for v in variables()}
    used: set[str] = set()
    tracked = subprocess.run(
        ["git", "ls-files", "connectors", "pipelines", "dbt_project"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in tracked:
        if name.endswith((".py", ".sql", ".yml")):
            used |= set(re.findall(r"\bHUB_[A-Z0-9_]*[A-Z0-9]\b", (REPO / name).read_text()))
    families = {"HUB_MAX"}  # prose naming a family, e.g. `HUB_MAX_*`
    assert used - families - declared == set()
