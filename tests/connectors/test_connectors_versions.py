"""API versions: the calendar's defaults and refusals, the vendors' version errors explained, the sunset
warning, and Meta's "reduce the amount of data" answered with smaller date ranges, over real HTTP."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date

import dagster as dg
import pytest
from connector_helpers import raw_rows, sandbox_env

from connectors import versions
from connectors.config import HubConfig, SettingsError
from connectors.errors import RequestError
from connectors.ingest import ingest_stream

SANDBOX_DAY = "2026-12-01"  # the sandbox judges versions on this day (v22 and Meta v24.0 are sunset)
META_MAX_ROWS = 150  # Meta asks for less data above this many rows: a tiny account's year is ~480


@pytest.fixture(scope="module")
def sandbox() -> Iterator[object]:
    from sandbox.server import running_sandbox

    with running_sandbox(seed=1, scale="tiny", version_date=SANDBOX_DAY, meta_max_rows=META_MAX_ROWS) as sb:
        yield sb


@pytest.mark.parametrize(("system", "on", "expected"), [
    ("google_ads", date(2026, 10, 13), "v25"),
    ("google_ads", date(2026, 10, 14), "v26"),  # released that day
    ("meta", date(2026, 11, 3), "v26.0"),
    ("meta", date(2026, 11, 4), "v27.0"),
])
def test_the_default_is_the_newest_released_version(system: str, on: date, expected: str) -> None:
    assert versions.default_version(system, on) == expected


@pytest.mark.parametrize(("variable", "value", "reason"), [
    ("HUB_GOOGLE_ADS_API_VERSION", "v21", "is sunset since 2026-08-05 (judged on 2026-12-01): use v26, the newest released version"),
    ("HUB_GOOGLE_ADS_API_VERSION", "v18", "is sunset (judged on 2026-12-01): use v26, the newest released version"),
    ("HUB_GOOGLE_ADS_API_VERSION", "21", "is not a google_ads API version (the form is like v26)"),
    ("HUB_META_API_VERSION", "v24.0", "is sunset since 2026-11-10 (judged on 2026-12-01): use v27.0, the newest released version"),
    ("HUB_META_API_VERSION", "v27", "is not a meta API version (the form is like v27.0)"),
])
def test_a_bad_version_is_refused_at_start_up_naming_the_fix(variable: str, value: str, reason: str) -> None:
    with pytest.raises(SettingsError) as err:
        HubConfig.from_env({variable: value, "HUB_API_VERSION_DATE": SANDBOX_DAY})
    assert err.value.problems == (f"{variable}={value!r} {reason}: use {'a live version like v26' if 'GOOGLE' in variable else 'a live version like v27.0'}",)


def test_an_unreleased_version_is_refused() -> None:
    with pytest.raises(SettingsError) as err:
        HubConfig.from_env({"HUB_GOOGLE_ADS_API_VERSION": "v26", "HUB_API_VERSION_DATE": "2026-10-01"})
    assert "is not released yet on 2026-10-01: use v25" in str(err.value)


def test_the_sunset_warning_starts_60_days_before() -> None:
    assert versions.sunset_warning("meta", "v25.0", date(2026, 12, 24)) is None  # 61 days
    warning = versions.sunset_warning("meta", "v25.0", date(2026, 12, 25))
    assert warning is not None and "v25.0 sunsets on 2027-02-23 (60 days" in warning
    assert "set HUB_META_API_VERSION=v27.0" in warning
    assert versions.sunset_warning("meta", "v27.0", date(2026, 12, 25)) is None  # no sunset announced


@pytest.mark.parametrize(("stream", "variable", "version", "connector_day", "vendor_said"), [
    ("meta__insights", "HUB_META_API_VERSION", "v24.0", "2026-10-01", "(#2635) You are calling a deprecated version"),
    ("google_ads__campaign_days", "HUB_GOOGLE_ADS_API_VERSION", "v22", "2026-09-01", "UNSUPPORTED_VERSION"),
])
def test_a_version_the_vendor_has_sunset_is_explained_and_loads_nothing(
    sandbox, tmp_path, stream: str, variable: str, version: str, connector_day: str, vendor_said: str
) -> None:
    # The hub's calendar (judged on an earlier day) still lets it through; the vendor refuses it.
    config = HubConfig.from_env(sandbox_env(sandbox.url, tmp_path, **{variable: version, "HUB_API_VERSION_DATE": connector_day}))
    with pytest.raises(RequestError) as err:
        ingest_stream(stream, config, "r1")
    message = str(err.value)
    assert vendor_said in message
    assert f"set {variable} to a live version" in message
    assert not config.warehouse_path.exists()


@pytest.mark.parametrize(("stream", "variable", "version", "connector_day"), [
    ("meta__insights", "HUB_META_API_VERSION", "v25.0", "2026-12-30"),
    ("google_ads__campaign_days", "HUB_GOOGLE_ADS_API_VERSION", "v23", "2026-12-15"),
])
def test_a_version_near_its_sunset_warns_in_the_log_and_the_metadata_and_still_loads(
    sandbox, tmp_path, caplog, clean_tiny_tables, stream: str, variable: str, version: str, connector_day: str
) -> None:
    env = sandbox_env(sandbox.url, tmp_path, **{variable: version, "HUB_API_VERSION_DATE": connector_day})
    config = HubConfig.from_env(env)
    with caplog.at_level(logging.WARNING, logger="connectors.http"):
        ingest_stream(stream, config, "r1")
    assert any(f"{version} sunsets on" in r.getMessage() and variable in r.getMessage() for r in caplog.records)
    assert raw_rows(config, stream) == clean_tiny_tables[stream]

    from pipelines.ingest.assets import _api_version_metadata
    from connectors.streams import STREAMS

    metadata = _api_version_metadata(dg.build_asset_context(), STREAMS[stream], config)
    assert metadata["api_version"] == dg.MetadataValue.text(version)
    assert variable in metadata["api_version_warning"].value


def test_the_default_versions_load_what_a_clean_run_loads_and_meta_halves_its_ranges(
    sandbox, tmp_path, clean_tiny_tables
) -> None:
    config = HubConfig.from_env(sandbox_env(sandbox.url, tmp_path, HUB_API_VERSION_DATE=SANDBOX_DAY))
    assert (config.system("google_ads").api_version, config.system("meta").api_version) == ("v26", "v27.0")
    messages: list[str] = []
    for stream in ("meta__insights", "google_ads__campaign_days"):
        ingest_stream(stream, config, "r1", on_progress=messages.append)
        assert raw_rows(config, stream) == clean_tiny_tables[stream]
    # Meta refused the whole range (a tiny account's year is over META_MAX_ROWS rows) and each half was asked for.
    assert any("Meta asked for less data for act_1001" in m for m in messages)
    calls = {path: n for path, n in sandbox.stats()["meta"].items() if path.startswith("/v27.0/")}
    assert set(calls) == {"/v27.0/act_1001/insights", "/v27.0/act_1002/insights", "/v27.0/act_1003/insights"}
    assert calls["/v27.0/act_1001/insights"] > 3
