"""Google Ads REST `googleAds:searchStream`: campaign x day metrics per customer, GAQL by date."""

from __future__ import annotations

from datetime import timedelta

from connectors.pages import StreamBatches, parser
from connectors.pagination import PageRequest
from connectors.spec import Check, FetchContext, RecordShape, StreamSpec
from connectors.windows import next_chunk_days, restatement_window

# Conversions are counted back to the click for up to the conversion window, 1 to 90 days
# (https://support.google.com/google-ads/answer/3123169), so a day's metrics.conversions change for
# 90 days: HUB_GOOGLE_ADS_RESTATEMENT_DAYS defaults to 90.
CHUNK_DAYS = 100  # the first ask: a nightly window (90 days + lag) in one answer
# A searchStream answer is one landed page, which DuckDB stages whole (in about 13 times its
# size) and reads only up to batches.MAX_PAGE_BYTES: each next ask covers as many days as keep
# the answer near this size, so an account with many campaigns gets more, smaller answers.
TARGET_PAGE_BYTES = 4 << 20
BATCHES = StreamBatches()
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
    first, last = window
    for customer in ctx.system.ids("customer_ids"):
        url = ctx.client.url(f"/{ctx.system.api_version}/customers/{customer}/googleAds:searchStream")
        since, days = first, CHUNK_DAYS
        while since <= last:
            until = min(last, since + timedelta(days=days - 1))
            request = PageRequest(
                "POST", url, json={"query": QUERY.format(since=since.isoformat(), until=until.isoformat())}
            )
            response = ctx.client.send("POST", url, json=request.json, parse=parser(BATCHES, request))
            ctx.land(customer, response, BATCHES.count(response.data))
            days = next_chunk_days((until - since).days + 1, len(response.content), TARGET_PAGE_BYTES, CHUNK_DAYS)
            since = until + timedelta(days=1)
    return None


STREAMS = (
    StreamSpec(
        name="google_ads__campaign_days",
        system="google_ads",
        description="Google Ads cost, impressions, clicks and conversions per campaign and day, per customer.",
        primary_key="`<customer.id>:<campaign.id>:<segments.date>`",
        cursor_field="`segments.date`: the next run re-pulls from the highest day loaded minus the restatement window (HUB_GOOGLE_ADS_RESTATEMENT_DAYS, default 90: conversions are restated within the conversion window of up to 90 days)",
        shape=RecordShape(
            records_path="$[*].results[*]",
            pk_parts=("customer.id", "campaign.id", "segments.date"),
            cursor_path="segments.date",
            checks=(Check("segments.date", "date"),),  # the cursor only: the metrics are parsed in dbt staging
        ),
        fetch=fetch_campaign_days,
    ),
)
