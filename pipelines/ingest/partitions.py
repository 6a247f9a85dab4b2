"""Daily partitions of the dated streams (Meta and Google Ads spend, ECB FX): a partition is a day.

A run over a range of days asks the vendor for exactly those days, whatever the saved cursor:
the connectors start a dated window `restatement days` before the cursor, floored at the start
date (connectors/windows.py), so the range's first day becomes the start date and the
restatement reaches back past it; the range's last day becomes the end date. The cursor never
moves back (connectors/loading.py), so the next nightly carries on as before. A backfill is
Dagster's own partition backfill (the UI's Materialize -> partitions, or
`dagster asset materialize --partition-range`), one run per range (BackfillPolicy.single_run).

The nightly asks for the days the connectors would re-pull anyway (each stream's restatement
window before its last day, `nightly_partition_range`).
"""

import dataclasses
from datetime import date, datetime, timedelta, timezone

import dagster as dg

from connectors.config import HubConfig

# The dated streams; each restates past days (ECB: none, a published rate is final).
DATED_STREAMS = ("meta__insights", "google_ads__campaign_days", "ecb__rates")
# Reaching back a century makes the range's first day the start wherever the cursor is.
REACH_BACK_DAYS = 36_500
PARTITION_FORMAT = "%Y-%m-%d"


def daily_partitions(start: date) -> dg.DailyPartitionsDefinition:
    """One partition per UTC day from `start` (HUB_START_DATE) to today."""
    return dg.DailyPartitionsDefinition(start_date=start.strftime(PARTITION_FORMAT), timezone="UTC", end_offset=1)


def restatement_days(config: HubConfig, stream: str) -> int:
    """Days before its last day a stream re-pulls each night (the vendor may still restate them)."""
    return {
        "meta__insights": config.meta_restatement_days,
        "google_ads__campaign_days": config.google_ads_restatement_days,
        "ecb__rates": config.ecb_restatement_days,
    }[stream]


def days_of(key_range: dg.PartitionKeyRange) -> tuple[date, date]:
    """(first, last) day of a partition key range."""
    return date.fromisoformat(key_range.start), date.fromisoformat(key_range.end)


def config_for_days(config: HubConfig, first: date, last: date) -> HubConfig:
    """`config` narrowed to exactly the days `first`..`last` (inclusive) for every dated stream."""
    return dataclasses.replace(
        config,
        start_date=first,
        end_date=last,
        meta_restatement_days=REACH_BACK_DAYS,
        google_ads_restatement_days=REACH_BACK_DAYS,
        ecb_restatement_days=REACH_BACK_DAYS,
    )


def nightly_partition_range(config: HubConfig, loaded_before: bool, today: date | None = None) -> dg.PartitionKeyRange | None:
    """The days the nightly materialises: each stream's restatement window before the last day
    (HUB_END_DATE, else today), the widest of them. None on a first night (no dated stream
    `loaded_before`): that run loads the whole history through the connectors' own windows
    without partitions, because Dagster records each partition's materialisation as an event of its own
    and two years of days would cost the night minutes; a backfill marks them."""
    last = config.end_date or today or datetime.now(timezone.utc).date()
    if last < config.start_date or not loaded_before:
        return None
    first = min(max(config.start_date, last - timedelta(days=restatement_days(config, s))) for s in DATED_STREAMS)
    return dg.PartitionKeyRange(first.isoformat(), last.isoformat())


def partition_range_tags(key_range: dg.PartitionKeyRange) -> dict[str, str]:
    """Run tags that make one run materialise every partition of `key_range`."""
    return {
        "dagster/asset_partition_range_start": key_range.start,
        "dagster/asset_partition_range_end": key_range.end,
    }
