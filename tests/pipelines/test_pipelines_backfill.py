"""Daily partitions of the dated streams: a range of days re-pulls exactly those days, nothing else;
the nightly's range is the restatement windows plus the days never loaded."""

import json
import shutil
from datetime import date
from pathlib import Path

import dagster as dg
import httpx
import pytest

from connectors.config import HubConfig
from connectors.landing import landed_page_bodies
from connectors.windows import restatement_window
from pipeline_runs import materializations, NightlyRun, raw_state
from pipelines.ingest.partitions import config_for_days, nightly_partition_range, partition_range_tags

SINCE, UNTIL = date(2026, 3, 1), date(2026, 3, 10)
AD_SPEND_STREAMS = ("meta__insights", "google_ads__campaign_days")


def sandbox_requests(env: dict[str, str]) -> dict[str, int]:
    """Requests the sandbox has served so far, per vendor."""
    root = env["HUB_ECB_BASE_URL"].rsplit("/", 1)[0]
    stats = httpx.get(f"{root}/_admin/stats", timeout=10).json()["requests"]
    return {vendor: sum(paths.values()) for vendor, paths in stats.items()}


def test_a_range_of_days_asks_the_connectors_for_exactly_those_days() -> None:
    narrowed = config_for_days(HubConfig.from_env({"HUB_DATA_DIR": "/tmp/x"}), date(2026, 3, 1), date(2026, 3, 31))
    assert (narrowed.start_date, narrowed.end_date) == (date(2026, 3, 1), date(2026, 3, 31))
    # Whatever the cursor, the connectors' window is then exactly the range's days.
    for cursor in (None, "2026-03-15", "2026-10-31"):
        for days in (narrowed.meta_restatement_days, narrowed.google_ads_restatement_days, narrowed.ecb_restatement_days):
            assert restatement_window(cursor, days, narrowed.start_date, narrowed.end_date) == (
                date(2026, 3, 1), date(2026, 3, 31)
            )


def test_the_nightly_range_is_the_widest_restatement_window_after_a_first_night() -> None:
    config = HubConfig.from_env({"HUB_DATA_DIR": "/tmp/x", "HUB_START_DATE": "2026-01-01", "HUB_END_DATE": "2026-10-31"})
    assert nightly_partition_range(config, loaded_before=False) is None  # a first night: the connectors' own windows
    loaded = True
    # Google Ads restates 90 days (the widest window): the night re-pulls those, not the year.
    assert nightly_partition_range(config, loaded) == dg.PartitionKeyRange("2026-08-02", "2026-10-31")
    narrow = HubConfig.from_env({**{"HUB_DATA_DIR": "/tmp/x", "HUB_END_DATE": "2026-10-31"},
                                 "HUB_GOOGLE_ADS_RESTATEMENT_DAYS": "7", "HUB_META_RESTATEMENT_DAYS": "3"})
    assert nightly_partition_range(narrow, loaded) == dg.PartitionKeyRange("2026-10-24", "2026-10-31")


def test_nightly_tags_follow_the_instance() -> None:
    """No dated stream ever materialised: no range (a first night); afterwards the window's range."""
    from pipelines.jobs import nightly_tags

    config = HubConfig.from_env({"HUB_DATA_DIR": "/tmp/x", "HUB_END_DATE": "2026-10-31"})
    with dg.instance_for_test() as instance:
        assert nightly_tags(instance, config) == {}
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=["ecb", "rates"]))
        assert nightly_tags(instance, config) == partition_range_tags(dg.PartitionKeyRange("2026-08-02", "2026-10-31"))


def test_a_partition_range_re_pulls_only_those_ad_days(
    nightly: NightlyRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(nightly.data_dir / "warehouse.duckdb", data_dir / "warehouse.duckdb")
    for name, value in {**nightly.env, "HUB_DATA_DIR": str(data_dir)}.items():
        monkeypatch.setenv(name, value)
    from pipelines.definitions import build_definitions
    from pipelines.ingest.assets import stream_asset_key

    ad_spend = [stream_asset_key(name) for name in AD_SPEND_STREAMS]
    # What the UI's backfill launches for a range under BackfillPolicy.single_run: one run, the range as tags.
    job = dg.define_asset_job("ad_days", selection=dg.AssetSelection.assets(*ad_spend))
    defs = dg.Definitions.merge(build_definitions({}), dg.Definitions(jobs=[job]))
    before = sandbox_requests(nightly.env)
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("ad_days").execute_in_process(
            instance=instance, tags=partition_range_tags(dg.PartitionKeyRange(SINCE.isoformat(), UNTIL.isoformat()))
        )
        done = {key: sorted(instance.get_materialized_partitions(key)) for key in ad_spend}
    after = sandbox_requests(nightly.env)
    called = {vendor for vendor, count in after.items() if count > before.get(vendor, 0)}
    assert called == {"meta", "google_ads"}
    expected_days = [f"2026-03-{day:02d}" for day in range(1, 11)]
    assert done == {key: expected_days for key in ad_spend}

    landed = Path(materializations(result)["meta/insights"]["landing_dir"].value)
    days = {row["date_start"] for body in landed_page_bodies(landed) for row in json.loads(body)["data"]}
    assert days, "the backfill landed no Meta rows: the range check would prove nothing"
    # Without the range the pull would start 28 days before the cursor, in October.
    assert all(SINCE <= date.fromisoformat(day) <= UNTIL for day in days)
    # The same clock re-served the same days: the raw tables and cursors are as the nightly left them.
    assert raw_state(data_dir / "warehouse.duckdb", AD_SPEND_STREAMS) == raw_state(
        nightly.data_dir / "warehouse.duckdb", AD_SPEND_STREAMS
    )
