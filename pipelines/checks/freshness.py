"""Freshness per source system: how stale each stream may get before the UI flags it.

Dagster 1.13 evaluates these policies itself (no sensor needed) and shows each asset's
freshness state (pass, warn, fail) in the UI.
"""

from datetime import timedelta

import dagster as dg

# CRM, ads, contracts, shipments and FX all land with the nightly run: warn after a day, fail
# after a day plus two hours for that run to finish.
DAILY = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=26), warn_window=timedelta(hours=24))
SOURCE_FRESHNESS: dict[str, dg.FreshnessPolicy] = {
    "hubspot": DAILY,
    "meta": DAILY,
    "google_ads": DAILY,
    "docusign": DAILY,
    "shipstation": DAILY,
    "ecb": DAILY,
}


def source_freshness(system: str) -> dg.FreshnessPolicy:
    """The freshness policy of a source system's streams (daily unless listed otherwise)."""
    return SOURCE_FRESHNESS.get(system, DAILY)
