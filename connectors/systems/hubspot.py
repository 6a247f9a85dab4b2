"""HubSpot CRM: contacts, companies, deals, line items (v3 objects) and deal associations (v4).

A first run lists every object (`GET /crm/v3/objects/{type}`, cursor `after`). Later runs ask the
search API for objects modified since the saved cursor minus an overlap, sorted by the modified
property: search is eventually consistent, a change reaches its index only after a while, so a
record written just before the last run may only now be found (the re-read ones merge away as
unchanged). Search refuses `after` >= 10,000, so when a query nears that cap the next query
starts again from the last modified time seen: every query stays under the cap, whatever the volume.
Every run also lists the archived (deleted) objects: each lands as a tombstone (`archived: true`,
its modified time the deletion's) that replaces the live version in raw.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

from connectors.decoding import decode_record
from connectors.errors import LoopingCursorError, RequestError
from connectors.pages import KeyedList, TotalledList, parser
from connectors.pagination import CursorPaginator, PageRequest, dig, request_key
from connectors.spec import DIR, Check, FetchContext, RecordShape, StreamSpec

SEARCH_CAP = 10_000
LIST_LIMIT = 100
SEARCH_LIMIT = 200
ASSOCIATION_BATCH = 1_000

MODIFIED_PROPERTY = {
    "contacts": "lastmodifieddate",
    "companies": "hs_lastmodifieddate",
    "deals": "hs_lastmodifieddate",
    "line_items": "hs_lastmodifieddate",
}
PROPERTIES = {
    "contacts": ("email", "firstname", "lastname", "createdate", "lastmodifieddate", "lifecyclestage",
                 "utm_source", "utm_campaign", "company", "associatedcompanyid", "hs_merged_object_ids"),
    "companies": ("name", "domain", "country", "city", "createdate", "hs_lastmodifieddate"),
    "deals": ("dealname", "amount", "deal_currency_code", "dealstage", "pipeline", "closedate",
              "createdate", "hs_lastmodifieddate"),
    "line_items": ("name", "hs_sku", "quantity", "price", "amount", "hs_product_id", "createdate",
                   "hs_lastmodifieddate"),
}
ASSOCIATED = ("contacts", "companies", "line_items")
# `results` is required in every collection and batch answer (the spec's CollectionResponse* and
# BatchResponse* schemas); `paging.next.after` is the opaque cursor of the next page.
LIST_PAGE = KeyedList("results", "HubSpot", next_path=("paging", "next"), cursor_key="after")
BATCH_PAGE = KeyedList("results", "HubSpot")


def fetch_objects(ctx: FetchContext) -> None:
    """Full list on the first run, modified-since search (reaching back an overlap) afterwards; the
    archived objects every run, as tombstones."""
    object_type = ctx.spec.stream
    if ctx.cursor_before is None:
        _list(ctx, object_type, archived=False)
    else:
        overlap = ctx.config.hubspot_search_overlap_minutes
        _search_since(ctx, object_type, reach_back(ctx.cursor_before, overlap))
    # The archived list has no modified-since filter: it is read whole (HubSpot keeps deleted
    # objects restorable for 90 days), the tombstones already stored merge away as unchanged.
    _list(ctx, object_type, archived=True)
    return None


def _list(ctx: FetchContext, object_type: str, archived: bool) -> None:
    """Every live (or every archived) object: `GET /crm/v3/objects/{type}?archived=...`."""
    params = {"limit": LIST_LIMIT, "properties": ",".join(PROPERTIES[object_type]), "archived": str(archived).lower()}
    first = PageRequest("GET", ctx.client.url(f"/crm/v3/objects/{object_type}"), params)
    for _ in ctx.land_pages("", first, CursorPaginator(("paging", "next", "after")), LIST_PAGE):
        pass


def reach_back(cursor: str, minutes: int) -> str:
    """The cursor (an ISO instant, as HubSpot writes modified dates) `minutes` earlier, in HubSpot's
    own format (UTC, milliseconds, `Z`); a cursor that is no instant is a clear error."""
    try:
        at = datetime.fromisoformat(cursor.replace("Z", "+00:00"))
    except ValueError:
        raise RequestError(f"HubSpot cursor {cursor!r} is no ISO instant: the saved cursor is damaged; "
                           f"reset the stream's row in raw._cursors to load it again from a full list") from None
    at = (at if at.tzinfo else at.replace(tzinfo=timezone.utc)) - timedelta(minutes=minutes)
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _search_since(ctx: FetchContext, object_type: str, since: str) -> None:
    """Search pages modified since `since`, in windows that each stay under the 10,000-result cap.

    The `after` cursor is opaque (the spec types it as a string): the cap is kept by counting the
    pages of the window, each `SEARCH_LIMIT` results wide, never by reading the cursor.
    """
    modified = MODIFIED_PROPERTY[object_type]
    url = ctx.client.url(f"/crm/v3/objects/{object_type}/search")
    while True:
        body = {
            "filterGroups": [{"filters": [{"propertyName": modified, "operator": "GTE", "value": since}]}],
            "sorts": [{"propertyName": modified, "direction": "ASCENDING"}],
            "properties": list(PROPERTIES[object_type]),
            "limit": SEARCH_LIMIT,
        }
        last_seen = None
        seen = pages = 0
        sent: set[bytes] = set()
        request = PageRequest("POST", url, {}, body)
        while True:
            key = request_key(request)
            if key in sent:
                raise LoopingCursorError(
                    f"{ctx.spec.name}: HubSpot search sent back the cursor after={request.json.get('after')!r} "
                    f"already followed in this window; stopped instead of paging forever. Nothing of this fetch "
                    f"was loaded and the cursor did not move: run it again later"
                )
            sent.add(key)
            contract = TotalledList(LIST_PAGE, seen)
            response = ctx.client.send("POST", url, json=request.json, parse=parser(contract, request))
            results = response.data["results"]
            ctx.land("", response, len(results))
            seen, pages = seen + len(results), pages + 1
            if results:
                last_seen = dig(decode_record(results[-1]), ("properties", modified)) or last_seen
            after = dig(response.data, ("paging", "next", "after"))
            if after is None:
                return
            if (pages + 1) * SEARCH_LIMIT > SEARCH_CAP:
                break  # the next page would cross the cap: start a new window
            request = PageRequest("POST", url, {}, {**body, "after": after})
        if last_seen is None or last_seen == since:
            raise RequestError(
                f"{ctx.spec.name}: more than {SEARCH_CAP} objects share {modified} = {since}; the "
                f"search API cannot page past them"
            )
        since = last_seen  # GTE: objects at the boundary come again and merge as unchanged


def fetch_associations(ctx: FetchContext) -> str | None:
    """v4 batch reads of each changed deal's contacts, companies and line items."""
    if not ctx.table_exists("hubspot__deals"):
        return None
    with ctx.query_rows(
        "select _pk, _cursor from raw.hubspot__deals where ?::varchar is null or _cursor >= ?::varchar order by _pk",
        [ctx.cursor_before, ctx.cursor_before],
    ) as deals:
        for to_type in ASSOCIATED:
            url = ctx.client.url(f"/crm/v4/associations/deals/{to_type}/batch/read")
            deal_ids = (pk for pk, _ in deals)
            while batch := list(itertools.islice(deal_ids, ASSOCIATION_BATCH)):
                request = PageRequest("POST", url, json={"inputs": [{"id": d} for d in batch]})
                response = ctx.client.send("POST", url, json=request.json, parse=parser(BATCH_PAGE, request))
                ctx.land(f"deals_{to_type}", response, BATCH_PAGE.count(response.data))
        return max((c for _, c in deals), default=ctx.cursor_before)


def _object_stream(object_type: str, description: str) -> StreamSpec:
    modified = MODIFIED_PROPERTY[object_type]
    return StreamSpec(
        name=f"hubspot__{object_type}",
        system="hubspot",
        description=description,
        primary_key="The HubSpot object id (`id`)",
        cursor_field=f"`properties.{modified}`: the next run searches objects modified since the highest one loaded",
        shape=RecordShape(
            records_path="$.results[*]",
            pk_parts=("id",),
            cursor_path=f"properties.{modified}",
            # the cursor only (one that is no time would stop the search): values are dbt staging's
            checks=(Check(f"properties.{modified}", "date"),),
        ),
        fetch=fetch_objects,
    )


STREAMS = (
    _object_stream("contacts", "HubSpot contacts (leads) with their UTM source and campaign."),
    _object_stream("companies", "HubSpot companies (customers)."),
    _object_stream("deals", "HubSpot deals with amount, currency and stage."),
    _object_stream("line_items", "HubSpot line items: SKU, quantity and unit price of each deal line."),
    StreamSpec(
        name="hubspot__associations",
        system="hubspot",
        description="Deal associations to contacts, companies and line items (v4 batch read).",
        primary_key="`<from>_<to>:<deal id>`, e.g. `deals_contacts:123`; `_scope` is `deals_contacts`, `deals_companies` or `deals_line_items`",
        cursor_field="The highest deal `hs_lastmodifieddate` whose associations were read; the next run reads deals modified since",
        shape=RecordShape(records_path="$.results[*]", pk_parts=(DIR, "from.id"), cursor_path=None),
        fetch=fetch_associations,
        depends_on=("hubspot__deals",),
    ),
)
