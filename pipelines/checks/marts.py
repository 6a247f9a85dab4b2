"""Our own checks on the built marts: totals reconcile, join failure rates stay under limits.

All are blocking: a mart that fails one is not published, and BI keeps the last good marts.
They read the warehouse through a read-only connection that queues behind any writer.
"""

from dataclasses import dataclass
from decimal import Decimal

import dagster as dg
import duckdb

from connectors import warehouse
from pipelines.checks.thresholds import ThresholdsResource, rate_check_result
from pipelines.resources import HubConfigResource

# Each additive measure of the mart, and the fact rows it must sum to: (fact, value, date). The
# facts are cut at the end of the mart's last month, so a report clock (HUB_AS_OF) earlier
# than the data does not count as a difference.
RECONCILED_MEASURES: dict[str, tuple[str, str, str]] = {
    "spend": ("fct_ad_spend", "spend_reporting", "ad_date"),
    "booked_value": ("fct_contract_lines", "booked_value", "signed_date"),
    "shipped_value": ("fct_shipment_lines", "shipped_value", "ship_date"),
    "delivered_value": ("fct_shipment_lines", "shipped_value", "delivered_date"),
}
MART_END = "(select max(month) + interval 1 month from mart_sales_vs_fulfilment)"


def reconciliation_rows(con: duckdb.DuckDBPyConnection) -> list[tuple[str, Decimal, Decimal]]:
    """(measure, mart total, fact total) for every reconciled measure, over the mart's months."""
    rows = []
    for measure, (fact, value, day) in RECONCILED_MEASURES.items():
        mart_total, fact_total = con.execute(
            f"select (select coalesce(sum({measure}), 0) from mart_sales_vs_fulfilment), "
            f"(select coalesce(sum({value}), 0) from {fact} where {day} < {MART_END})"
        ).fetchone()
        rows.append((measure, Decimal(mart_total), Decimal(fact_total)))
    return rows


@dg.asset_check(
    asset=dg.AssetKey(["mart_sales_vs_fulfilment"]),
    name="totals_reconcile_with_facts",
    blocking=True,
    description=(
        "Spend, booked, shipped and delivered value summed over the mart equal the same sums over "
        "fct_ad_spend, fct_contract_lines and fct_shipment_lines, to the cent."
    ),
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


@dataclass(frozen=True)
class RateCheck:
    """A share of rows that signals broken joins, held under a `HUB_MAX_*` threshold."""

    name: str
    model: str
    what: str  # "<count> of <total> {what}"
    sql: str  # selects (count, total)
    threshold: str  # the Thresholds field, read when the check runs
    variable: str
    description: str


RATE_CHECKS = (
    RateCheck(
        name="orphan_shipment_rate_under_threshold",
        model="fct_shipments",
        what="counted shipments are orphans",
        sql="select count(*) filter (where is_orphan), count(*) filter (where is_counted) from fct_shipments",
        threshold="max_orphan_shipment_rate",
        variable="HUB_MAX_ORPHAN_SHIPMENT_RATE",
        description="Counted shipments that match no contract (a broken join, or a missing source) "
        "stay at or under HUB_MAX_ORPHAN_SHIPMENT_RATE.",
    ),
    RateCheck(
        name="unattributed_lead_rate_under_threshold",
        model="fct_leads",
        what="leads are unattributed",
        sql="select count(*) filter (where channel = 'unattributed'), count(*) from fct_leads",
        threshold="max_unattributed_lead_rate",
        variable="HUB_MAX_UNATTRIBUTED_LEAD_RATE",
        description="Leads with channel `unattributed` (UTM tags or campaign names broke) "
        "stay at or under HUB_MAX_UNATTRIBUTED_LEAD_RATE.",
    ),
)


def build_rate_check(spec: RateCheck) -> dg.AssetChecksDefinition:
    """The blocking asset check for one rate, on its model's asset."""

    @dg.asset_check(asset=dg.AssetKey([spec.model]), name=spec.name, blocking=True, description=spec.description)
    def rate_check(hub: HubConfigResource, thresholds: ThresholdsResource) -> dg.AssetCheckResult:
        with warehouse.connect(hub.load().warehouse_path, read_only=True) as con:
            count, total = con.execute(spec.sql).fetchone()
        limit = getattr(thresholds.load(), spec.threshold)
        return rate_check_result(spec.name, spec.what, count, total, limit, spec.variable)

    return rate_check


MART_CHECKS = [totals_reconcile_with_facts, *(build_rate_check(spec) for spec in RATE_CHECKS)]
