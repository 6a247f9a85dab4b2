"""Blocking checks on the built marts whose limits are settings: join failure and quarantine rates.

The rules live in dbt: the views `dq_check_shares` and `dq_quarantined_values` hold what each check
judges; these checks read them, compare with the thresholds read when they run, and report. That the
totals reconcile with the facts is the dbt test `totals_reconcile_with_facts` (no threshold, so dbt
judges it alone; dagster-dbt shows it as a check of mart_sales_vs_fulfilment). A mart that fails one
is not published, and BI keeps the last good marts. They read the warehouse through a read-only
connection that queues behind any writer.
"""

import re
from dataclasses import dataclass

import dagster as dg
import duckdb

from connectors import warehouse
from pipelines.checks.thresholds import ThresholdsResource, rate_check_result
from pipelines.resources import HubConfigResource

SHARES_MODEL = "dq_check_shares"


QUARANTINE_MODEL = "dq_quarantined_values"
STAGING_MODEL_NAME = re.compile(r"stg_[a-z0-9_]+")


def quarantined_shares(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, int]]:
    """(staging model, records quarantined, records in the model), worst share first."""
    counts = con.execute(
        f"select model_name, count(distinct record_id) from {QUARANTINE_MODEL} group by model_name"
    ).fetchall()
    shares = []
    for model, quarantined in counts:
        if not STAGING_MODEL_NAME.fullmatch(model):  # a name reaches SQL only once it is ours
            raise ValueError(f"{QUARANTINE_MODEL} names an unexpected model {model!r}")
        (total,) = con.execute(f"select count(*) from {model}").fetchone()
        shares.append((model, quarantined, total))
    return sorted(shares, key=lambda share: share[1] / share[2] if share[2] else 1.0, reverse=True)


@dg.asset_check(
    asset=dg.AssetKey([QUARANTINE_MODEL]),
    name="quarantined_value_rate_under_threshold",
    blocking=True,
    description=(
        "Records whose values did not parse in staging stay at or under HUB_MAX_QUARANTINE_RATE of "
        "each staging model: below it the night goes on without them, above it nothing is published."
    ),
)
def quarantined_value_rate_under_threshold(hub: HubConfigResource, thresholds: ThresholdsResource) -> dg.AssetCheckResult:
    """Hold the worst staging model's share of quarantined records under the threshold."""
    with warehouse.connect(hub.load().warehouse_path, read_only=True) as con:
        shares = quarantined_shares(con)
    model, count, total = shares[0] if shares else ("staging", 0, 0)
    result = rate_check_result(
        "quarantined_value_rate_under_threshold", f"{model} records quarantined", count, total,
        thresholds.load().max_quarantine_rate, "HUB_MAX_QUARANTINE_RATE",
    )
    return result.with_metadata({
        **result.metadata,
        "models": dg.MetadataValue.md(
            "| model | quarantined | records |\n|---|---:|---:|\n"
            + "\n".join(f"| {m} | {c} | {t} |" for m, c, t in shares)
        ),
    })


@dataclass(frozen=True)
class RateCheck:
    """A share of rows that signals broken joins (a row of `dq_check_shares`), held under a `HUB_MAX_*` threshold."""

    name: str
    model: str
    what: str  # "<count> of <total> {what}"
    threshold: str  # the Thresholds field, read when the check runs
    variable: str
    description: str


RATE_CHECKS = (
    RateCheck(
        name="orphan_shipment_rate_under_threshold",
        model="fct_shipments",
        what="counted shipments are orphans",
        threshold="max_orphan_shipment_rate",
        variable="HUB_MAX_ORPHAN_SHIPMENT_RATE",
        description="Counted shipments that match no contract (a broken join, or a missing source) "
        "stay at or under HUB_MAX_ORPHAN_SHIPMENT_RATE.",
    ),
    RateCheck(
        name="unattributed_lead_rate_under_threshold",
        model="fct_leads",
        what="leads are unattributed",
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
            row = con.execute(
                f"select problem_rows, total_rows from {SHARES_MODEL} where check_name = ?", [spec.name]
            ).fetchone()
        if row is None:
            raise ValueError(f"{SHARES_MODEL} has no row for {spec.name}: add it to the dbt model")
        limit = getattr(thresholds.load(), spec.threshold)
        return rate_check_result(spec.name, spec.what, row[0], row[1], limit, spec.variable)

    return rate_check


MART_CHECKS = [
    quarantined_value_rate_under_threshold,
    *(build_rate_check(spec) for spec in RATE_CHECKS),
]
