"""Google Ads REST `googleAds:searchStream`: campaign x day metrics per customer, GAQL by date."""

from __future__ import annotations

from connectors.fetching import FetchContext
from connectors.spec import Check, RecordShape, StreamSpec
from connectors.windows import date_chunks, restatement_window

API_VERSION = "v21"
CHUNK_DAYS = 45  # a nightly window (30 days + lag) in one answer, yet each landed page only a few MB
QUERY = (
    "SELECT customer.id, customer.currency_code, campaign.id, campaign.name, segments.date, "
    "metrics.cost_micros, metrics.impressions, metrics.clicks, metrics.conversions "
    "FROM campaign WHERE segments.date BETWEEN '{since}' AND '{until}'"
)


def fetch_campaign_days(ctx: FetchContext) -> None:
    """Each customer's campaign-days from the cursor minus the restatement window to the last date."""
    window = restatement_window(
        ctx.cursor_before, ctx.config.google_ads_restatement_days, ctx.config.start_date, ctx.last_date
    )
    if window is None:
        return None
    for customer in ctx.system.ids("customer_ids"):
        url = ctx.client.url(f"/{API_VERSION}/customers/{customer}/googleAds:searchStream")
        for since, until in date_chunks(*window, CHUNK_DAYS):
            response = ctx.client.send(
                "POST", url, json={"query": QUERY.format(since=since.isoformat(), until=until.isoformat())}
            )
            batches = response.data if isinstance(response.data, list) else []
            ctx.land(customer, response, sum(len(b.get("results") or ()) for b in batches))
    return None


STREAMS = (
    StreamSpec(
        name="google_ads__campaign_days",
        system="google_ads",
        description="Google Ads cost, impressions, clicks and conversions per campaign and day, per customer.",
        primary_key="`<customer.id>:<campaign.id>:<segments.date>`",
        cursor_field="`segments.date`: the next run re-pulls from the highest day loaded minus the restatement window (HUB_GOOGLE_ADS_RESTATEMENT_DAYS, default 30)",
        shape=RecordShape(
            records_path="$[*].results[*]",
            pk_parts=("customer.id", "campaign.id", "segments.date"),
            cursor_path="segments.date",
            checks=(Check("segments.date", "date"), Check("metrics.costMicros", "amount")),
        ),
        fetch=fetch_campaign_days,
    ),
)
