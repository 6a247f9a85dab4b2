"""Meta Marketing API: daily campaign insights per ad account, re-pulling a restatement window."""

from __future__ import annotations

import orjson

from connectors.fetching import FetchContext
from connectors.pages import KeyedList
from connectors.pagination import NextLinkPaginator, PageRequest
from connectors.spec import Check, RecordShape, StreamSpec
from connectors.windows import restatement_window

API_VERSION = "v21.0"
PAGE_LIMIT = 500
# Insights pages: `data` (a list, empty when nothing matched) and `paging.next` only while there is
# more (https://developers.facebook.com/docs/graph-api/results).
PAGE = KeyedList("data", "Meta", next_path=("paging", "next"))
FIELDS = ("account_id", "account_currency", "campaign_id", "campaign_name", "date_start", "date_stop",
          "spend", "impressions", "clicks")


def fetch_insights(ctx: FetchContext) -> None:
    """Each account's campaign-days from the cursor minus the restatement window to the last date."""
    window = restatement_window(
        ctx.cursor_before, ctx.config.meta_restatement_days, ctx.config.start_date, ctx.last_date
    )
    if window is None:
        return None
    since, until = window
    paginator = NextLinkPaginator(("paging", "next"), ctx.client)
    for account in ctx.system.ids("ad_account_ids"):
        first = PageRequest(
            "GET",
            ctx.client.url(f"/{API_VERSION}/{account}/insights"),
            {
                "level": "campaign",
                "fields": ",".join(FIELDS),
                "time_range": orjson.dumps({"since": since.isoformat(), "until": until.isoformat()}).decode(),
                "time_increment": 1,
                "limit": PAGE_LIMIT,
            },
        )
        for _ in ctx.land_pages(account, first, paginator, PAGE):
            pass
    return None


STREAMS = (
    StreamSpec(
        name="meta__insights",
        system="meta",
        description="Meta ads spend, impressions and clicks per campaign and day, per ad account.",
        primary_key="`<account_id>:<campaign_id>:<date_start>`",
        cursor_field="`date_start`: the next run re-pulls from the highest day loaded minus the restatement window (HUB_META_RESTATEMENT_DAYS, default 28)",
        shape=RecordShape(
            records_path="$.data[*]",
            pk_parts=("account_id", "campaign_id", "date_start"),
            cursor_path="date_start",
            checks=(Check("date_start", "date"), Check("spend", "amount")),
        ),
        fetch=fetch_insights,
    ),
)
