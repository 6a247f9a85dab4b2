"""`ad_spend_backfill`: re-pulls exactly a date range of Meta and Google Ads spend, nothing else."""

import json
import shutil
from datetime import date
from pathlib import Path

import dagster as dg
import httpx
import pytest

from connectors.landing import landed_page_bodies
from pipeline_runs import materializations, NightlyRun, raw_state
from pipelines.ingest.backfill import AD_SPEND_STREAMS

SINCE, UNTIL = date(2026, 3, 1), date(2026, 3, 10)


def sandbox_requests(env: dict[str, str]) -> dict[str, int]:
    """Requests the sandbox has served so far, per vendor."""
    root = env["HUB_ECB_BASE_URL"].rsplit("/", 1)[0]
    stats = httpx.get(f"{root}/_admin/stats", timeout=10).json()["requests"]
    return {vendor: sum(paths.values()) for vendor, paths in stats.items()}


def test_backfill_re_pulls_only_the_ad_days_asked_for(
    nightly: NightlyRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(nightly.data_dir / "warehouse.duckdb", data_dir / "warehouse.duckdb")
    for name, value in {**nightly.env, "HUB_DATA_DIR": str(data_dir)}.items():
        monkeypatch.setenv(name, value)
    from pipelines.definitions import build_definitions
    from pipelines.ingest.assets import stream_asset_key

    window = {"since": SINCE.isoformat(), "until": UNTIL.isoformat()}
    before = sandbox_requests(nightly.env)
    with dg.instance_for_test() as instance:
        result = build_definitions({}).resolve_job_def("ad_spend_backfill").execute_in_process(
            instance=instance,
            # the ingest half of the job: the rebuild after it is the nightly's own dbt step
            asset_selection=[stream_asset_key(name) for name in AD_SPEND_STREAMS],
            run_config={"ops": {name: {"config": window} for name in AD_SPEND_STREAMS}},
        )
    after = sandbox_requests(nightly.env)
    called = {vendor for vendor, count in after.items() if count > before.get(vendor, 0)}
    assert called == {"meta", "google_ads"}

    landed = Path(materializations(result)["meta/insights"]["landing_dir"].value)
    days = {row["date_start"] for body in landed_page_bodies(landed) for row in json.loads(body)["data"]}
    assert days, "the backfill landed no Meta rows: the range check would prove nothing"
    # Without the window the pull would start 28 days before the cursor, in October.
    assert all(SINCE <= date.fromisoformat(day) <= UNTIL for day in days)
    # The same clock re-served the same days: the raw tables and cursors are as the nightly left them.
    assert raw_state(data_dir / "warehouse.duckdb", AD_SPEND_STREAMS) == raw_state(
        nightly.data_dir / "warehouse.duckdb", AD_SPEND_STREAMS
    )
