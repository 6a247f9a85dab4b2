"""Backfill of a date range for the ad-spend streams, through run config on their assets.

The connectors re-pull a dated stream from its cursor minus a restatement window up to
`HUB_END_DATE` (or today). A backfill asks for exactly `since`..`until` instead: the window
starts at `since` whatever the cursor, ends at `until`, and the cursor never moves back
(connectors/loading.py), so the next nightly run carries on as before.
"""

import dataclasses
from datetime import date

import dagster as dg

from connectors.config import HubConfig
from connectors.errors import ConfigError

# The dated streams whose vendors restate past days: the ones worth backfilling by date range.
AD_SPEND_STREAMS = ("meta__insights", "google_ads__campaign_days")
# The connectors start a dated window `restatement days` before the cursor, floored at the start
# date: reaching back a century makes `since` the start wherever the cursor is.
REACH_BACK_DAYS = 36_500


class AdSpendWindow(dg.Config):
    """Ad days to re-pull, inclusive `YYYY-MM-DD`; both empty: the usual incremental window."""

    since: str = ""
    until: str = ""


def config_for_window(config: HubConfig, window: AdSpendWindow) -> HubConfig:
    """`config` narrowed to the window's days, or unchanged when the window is empty."""
    if not window.since and not window.until:
        return config
    if not (window.since and window.until):
        raise ConfigError(
            f"ad spend backfill needs both since and until (got since={window.since!r}, until={window.until!r}): "
            "set both, e.g. since: 2026-03-01, until: 2026-03-31"
        )
    since, until = _day("since", window.since), _day("until", window.until)
    if since > until:
        raise ConfigError(f"ad spend backfill since={since} is after until={until}: swap them")
    return dataclasses.replace(
        config,
        start_date=since,
        end_date=until,
        meta_restatement_days=REACH_BACK_DAYS,
        google_ads_restatement_days=REACH_BACK_DAYS,
    )


def _day(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"ad spend backfill {name}={value!r} is not a date: use YYYY-MM-DD") from None
