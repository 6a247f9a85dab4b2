"""Meta Marketing API: daily campaign insights per ad account, re-pulling a restatement window."""

from __future__ import annotations

from datetime import date, timedelta

import orjson

from connectors.http import VendorRefused
from connectors.pages import KeyedList
from connectors.pagination import NextLinkPaginator, PageRequest
from connectors.spec import Check, FetchContext, RecordShape, StreamSpec
from connectors.windows import restatement_window

PAGE_LIMIT = 500
# Insights pages: `data` (a list, empty when nothing matched) and `paging.next` only while there is
# more (https://developers.facebook.com/docs/graph-api/results).
PAGE = KeyedList("data", "Meta", next_path=("paging", "next"))
FIELDS = ("account_id", "account_currency", "campaign_id", "campaign_name", "date_start", "date_stop",
          "spend", "impressions", "clicks")
# "Data per call limits": too many rows for one /insights call is code 100, subcode 1487534, and
# Meta's advice is to limit the date range (https://developers.facebook.com/docs/marketing-api/insights/best-practices/);
# 1504018 is the subcode the same ask is reported with at times, and older answers say it as
# code 1 "Please reduce the amount of data you're asking for, then retry your request".
TOO_MUCH_DATA_SUBCODES = frozenset({1487534, 1504018})


def asks_for_less(body: bytes) -> bool:
    """Whether a Meta error body asks for less data in one call."""
    try:
        error = orjson.loads(body).get("error")
    except (orjson.JSONDecodeError, AttributeError):
        return False
    if not isinstance(error, dict):
        return False
    if error.get("code") == 100 and error.get("error_subcode") in TOO_MUCH_DATA_SUBCODES:
        return True
    return error.get("code") == 1 and "reduce the amount of data" in str(error.get("message", ""))


def fetch_insights(ctx: FetchContext) -> None:
    """Each account's campaign-days from the cursor minus the restatement window to the last date."""
    window = restatement_window(
        ctx.cursor_before, ctx.config.meta_restatement_days, ctx.config.start_date, ctx.last_date
    )
    if window is None:
        return None
    since, until = window
    for account in ctx.system.ids("ad_account_ids"):
        _land_range(ctx, account, since, until)
    return None


def _land_range(ctx: FetchContext, account: str, since: date, until: date) -> None:
    """Land one account's days `since`..`until`; when Meta asks for less, each half on its own, down to
    single days (pages already landed for the whole range are landed again by the halves: the load
    merges them on the primary key)."""
    first = PageRequest(
        "GET",
        ctx.client.url(f"/{ctx.system.api_version}/{account}/insights"),
        {
            "level": "campaign",
            "fields": ",".join(FIELDS),
            "time_range": orjson.dumps({"since": since.isoformat(), "until": until.isoformat()}).decode(),
            "time_increment": 1,
            "limit": PAGE_LIMIT,
        },
    )
    try:
        for _ in ctx.land_pages(account, first, NextLinkPaginator(("paging", "next"), ctx.client), PAGE):
            pass
    except VendorRefused as exc:
        if not asks_for_less(exc.body):
            raise
        if since == until:
            raise VendorRefused(
                f"{exc} Meta finds even one day of {account} too much data for one call: ask for fewer fields, or "
                f"use asynchronous report runs (https://developers.facebook.com/docs/marketing-api/insights/async/)",
                exc.status, exc.body,
            ) from None
        middle = since + timedelta(days=(until - since).days // 2)
        ctx.on_progress(f"{ctx.spec.name}: Meta asked for less data for {account} {since}..{until}; asking for "
                        f"{since}..{middle} and {middle + timedelta(days=1)}..{until}")
        _land_range(ctx, account, since, middle)
        _land_range(ctx, account, middle + timedelta(days=1), until)


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
            checks=(Check("date_start", "date"),),  # the cursor only: spend and counts are parsed in dbt staging
        ),
        fetch=fetch_insights,
    ),
)
