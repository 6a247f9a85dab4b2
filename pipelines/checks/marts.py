"""Our own checks on the built marts: totals reconcile, join failure rates stay under limits.

All are blocking: a mart that fails one is not published, and BI keeps the last good marts.
They read the warehouse through a read-only connection that queues behind any writer.
"""

from decimal import Decimal

import dagster as dg
import duckdb

from connectors import warehouse
from pipelines.checks.thresholds import ThresholdsResource, rate_check_result
from pipelines.resources import HubConfigResource

# Each additive measure of the mart and the fact column it must sum to, over all months.
RECONCILED_MEASURES: dict[str, tuple[str, str]] = {
    "spend": ("fct_ad_spend", "spend_reporting"),
    "booked_value": ("fct_contract_lines", "booked_value"),
    "shipped_value": ("fct_contract_lines", "shipped_value"),
    "delivered_value": ("fct_contract_lines", "delivered_value"),
}


def reconciliation_rows(con: duckdb.DuckDBPyConnection) -> list[tuple[str, Decimal, Decimal]]:
    """(measure, mart total, fact total) for every reconciled measure."""
    rows = []
    for measure, (fact, column) in RECONCILED_MEASURES.items():
        mart_total, fact_total = con.execute(
            f"select (select coalesce(sum({measure}), 0) from mart_sales_vs_fulfilment), "
            f"(select coalesce(sum({column}), 0) from {fact})"
        ).fetchone()
        rows.append((measure, Decimal(mart_total), Decimal(fact_total)))
    return rows


@dg.asset_check(
    asset=dg.AssetKey(["mart_sales_vs_fulfilment"]),
    name="totals_reconcile_with_facts",
    blocking=True,
    description="Spend, booked, shipped and delivered value summed over the mart equal the facts' totals to the cent.",
)
def totals_reconcile_with_facts(hub: HubConfigResource) -> dg.AssetCheckResult:
    """Fail when any mart total differs from its fact table's total."""
    with warehouse.connect(hub.load().warehouse_path, read_only=True) as con:
        rows = reconciliation_rows(con)
    differing = [measure for measure, mart_total, fact_total in rows if mart_total != fact_total]
    return dg.AssetCheckResult(
        passed=not differing,
        severity=dg.AssetCheckSeverity.ERROR,
        description=("differs: " + ", ".join(differing)) if differing else "every total reconciles",
        metadata={
            "totals": dg.MetadataValue.md(
                "| measure | mart | facts |\n|---|---:|---:|\n"
                + "\n".join(f"| {m} | {a} | {b} |" for m, a, b in rows)
            ),
        },
    )


@dg.asset_check(
    asset=dg.AssetKey(["fct_shipments"]),
    name="orphan_shipment_rate_under_threshold",
    blocking=True,
    description="Counted shipments that match no contract stay at or under HUB_MAX_ORPHAN_SHIPMENT_RATE.",
)
def orphan_shipment_rate_under_threshold(hub: HubConfigResource, thresholds: ThresholdsResource) -> dg.AssetCheckResult:
    """Fail when too many shipments have no contract behind them (a broken join, or a missing source)."""
    with warehouse.connect(hub.load().warehouse_path, read_only=True) as con:
        orphans, counted = con.execute(
            "select count(*) filter (where is_orphan), count(*) filter (where is_counted) from fct_shipments"
        ).fetchone()
    limit = thresholds.load().max_orphan_shipment_rate
    return rate_check_result(
        "orphan_shipment_rate_under_threshold", "counted shipments are orphans", orphans, counted, limit,
        "HUB_MAX_ORPHAN_SHIPMENT_RATE",
    )


@dg.asset_check(
    asset=dg.AssetKey(["fct_leads"]),
    name="unattributed_lead_rate_under_threshold",
    blocking=True,
    description="Leads with channel `unattributed` stay at or under HUB_MAX_UNATTRIBUTED_LEAD_RATE.",
)
def unattributed_lead_rate_under_threshold(
    hub: HubConfigResource, thresholds: ThresholdsResource
) -> dg.AssetCheckResult:
    """Fail when too many leads cannot be tied to a channel (UTM tags or campaign names broke)."""
    with warehouse.connect(hub.load().warehouse_path, read_only=True) as con:
        unattributed, leads = con.execute(
            "select count(*) filter (where channel = 'unattributed'), count(*) from fct_leads"
        ).fetchone()
    limit = thresholds.load().max_unattributed_lead_rate
    return rate_check_result(
        "unattributed_lead_rate_under_threshold", "leads are unattributed", unattributed, leads, limit,
        "HUB_MAX_UNATTRIBUTED_LEAD_RATE",
    )


MART_CHECKS = [totals_reconcile_with_facts, orphan_shipment_rate_under_threshold, unattributed_lead_rate_under_threshold]
