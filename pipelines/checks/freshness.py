"""Freshness: how stale each stream, each mart and the published file may get before the UI flags it.

Dagster 1.13 evaluates these policies itself (no sensor needed) and shows each asset's
freshness state (pass, warn, fail) in the UI.
"""

from collections.abc import Iterable, Sequence
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
# What people consume: the marts BI reads and the published file. Both are rebuilt by the nightly,
# so they are held to the same day; a night that failed to publish shows here first.
CONSUMED_GROUPS = ("marts",)
PUBLISHED_KEY = dg.AssetKey("published_marts")


def source_freshness(system: str) -> dg.FreshnessPolicy:
    """The freshness policy of a source system's streams (daily unless listed otherwise)."""
    return SOURCE_FRESHNESS.get(system, DAILY)


def consumer_freshness(spec: dg.AssetSpec) -> dg.AssetSpec:
    """`spec` with the daily policy when people read it (a mart, the published file); others unchanged."""
    if spec.group_name in CONSUMED_GROUPS or spec.key == PUBLISHED_KEY:
        return spec.replace_attributes(freshness_policy=DAILY)
    return spec


def with_consumer_freshness(assets: Iterable[dg.AssetsDefinition]) -> Sequence[dg.AssetsDefinition]:
    """The assets with freshness policies on everything people consume."""
    return dg.map_asset_specs(consumer_freshness, list(assets))
