"""Shippo: orders (with line items), shipments (with the rate bought), transactions (labels) and tracks.

Shippo filters lists by date only on /shipments (`object_created_gte/lt`, at most 90 days a call:
https://docs.goshippo.com/docs/api_concepts/filtering), so shipments are read incrementally in
90-day slices from the cursor minus an overlap, while orders (whose status changes) and transactions
(refunded, tracking status moving) are re-read newest first until a page reaches back past the
window (HUB_SHIPPO_WINDOW_DAYS) before the newest one loaded. Pages are followed by their `next`
link, on the configured origin only, since its page value is opaque (same page). Tracks
(`GET /tracks/{carrier}/{tracking_number}`) are asked only for labels Shippo reports delivered and
not yet tracked as delivered, newest first, under HUB_SHIPPO_TRACKING_REQUESTS_PER_NIGHT, journaled
so a killed run does not pay twice; a tracking number Shippo refuses (400/404) is quarantined and
asked again on a back-off (retries.py).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from urllib.parse import quote

from connectors import retries
from connectors.errors import NotFoundError, RequestError
from connectors.journal import Journal, to_ask
from connectors.pages import KeyedList
from connectors.pagination import NextLinkPaginator, PageRequest
from connectors.spec import KEY, Check, FetchContext, RecordShape, StreamSpec
from connectors.windows import iso_z, overlap_start, parse_timestamp

PAGE_SIZE = 100  # the spec's maximum for `results`
MAX_RANGE = timedelta(days=90)  # the widest object_created range Shippo answers
DELIVERED = "DELIVERED"


def _page_contract() -> KeyedList:
    return KeyedList("results", "Shippo", next_path=("next",))


def _newest_first(ctx: FetchContext, path: str, created_key: str) -> None:
    """Land pages of `path`, newest first, until a page's oldest record was created before the
    window before the cursor (every page on the first run)."""
    stop = None
    if ctx.cursor_before:
        stop = iso_z(parse_timestamp(ctx.cursor_before) - timedelta(days=ctx.config.settings.shippo_window_days))
    first = PageRequest("GET", ctx.client.url(path), {"results": PAGE_SIZE, "page": 1})
    for page in ctx.land_pages("", first, NextLinkPaginator(("next",), ctx.client), _page_contract()):
        created = [r.get(created_key) for r in page.data["results"] if isinstance(r, dict)]
        oldest = min((c for c in created if isinstance(c, str)), default=None)
        if stop is not None and oldest is not None and iso_z(parse_timestamp(oldest)) < stop:
            break


def fetch_orders(ctx: FetchContext) -> None:
    """Orders placed within the window before the newest one loaded (all on the first run)."""
    _newest_first(ctx, "/orders", "placed_at")


def fetch_transactions(ctx: FetchContext) -> None:
    """Transactions created within the window before the newest one loaded (all on the first run)."""
    _newest_first(ctx, "/transactions", "object_created")


def fetch_shipments(ctx: FetchContext) -> None:
    """Shipments created from the cursor minus HUB_SHIPPO_OVERLAP_MINUTES (HUB_START_DATE on the first
    run) to the end of the last day, in slices of at most 90 days."""
    start = parse_timestamp(overlap_start(ctx.cursor_before, ctx.config.settings.shippo_overlap_minutes,
                                          ctx.config.start_date))
    end = datetime.combine(ctx.last_date + timedelta(days=1), time(), timezone.utc)
    while start < end:
        until = min(start + MAX_RANGE, end)
        params = {"results": PAGE_SIZE, "page": 1, "object_created_gte": iso_z(start), "object_created_lt": iso_z(until)}
        first = PageRequest("GET", ctx.client.url("/shipments"), params)
        for _ in ctx.land_pages("", first, NextLinkPaginator(("next",), ctx.client), _page_contract()):
            pass
        start = until


# Each delivered label's tracking number and carrier: the carrier comes from the rate bought (the
# transaction names only the rate), its provider written as Shippo's carrier token ("DHL Express" ->
# "dhl_express", the CarriersEnum spelling).
_DELIVERED_LABELS = """
with rates as (
    select rate->>'object_id' as rate_id, lower(replace(rate->>'provider', ' ', '_')) as carrier
    from raw.shippo__shipments, unnest(from_json(_record->'rates', '["json"]')) as picked(rate)
)
select t._pk, t._record->>'tracking_number', rates.carrier
from raw.shippo__transactions as t
join rates on rates.rate_id = t._record->>'rate'
where t._record->>'tracking_status' = 'DELIVERED' and t._record->>'status' = 'SUCCESS'
"""


def fetch_tracking(ctx: FetchContext) -> None:
    """`GET /tracks/{carrier}/{tracking_number}` for each delivered label not yet tracked as delivered,
    newest first, skipping refused ones not yet due again, within the night's request budget; answers
    an interrupted run paid for come from its journal."""
    if not (ctx.table_exists("shippo__transactions") and ctx.table_exists("shippo__shipments")):
        return None
    day = ctx.last_date
    before = retries.waiting(ctx.config.warehouse_path, ctx.spec.name)
    sql, params = _DELIVERED_LABELS, []
    if before is not None:
        sql += retries.not_due_sql("t._pk")
        params += [ctx.spec.name, day]
    before = before or {}
    if ctx.table_exists("shippo__tracking"):
        sql += (" and t._pk not in (select _pk from raw.shippo__tracking "
                "where _record->'tracking_status'->>'status' = ?)")
        params.append(DELIVERED)
    sql += " order by t._record->>'object_created' desc, t._pk"
    run_id = ctx.pipeline.lander.root.parents[1].name  # landing/<run_id>/<system>/<stream>
    journal = Journal.open(ctx.config.landing_dir, ctx.spec.name, run_id, day)
    allowed = ctx.config.settings.shippo_tracking_requests_per_night
    budget = max(allowed - journal.spent_today, 0) if allowed else None
    refused: list[retries.RecordError] = []
    answered: list[str] = []
    with ctx.query_rows(sql, params) as rows:
        labels = {key: (number, carrier) for key, number, carrier in rows}  # insertion order: newest first
    for key in to_ask(ctx, iter(labels), journal, budget):
        number, carrier = labels[key]
        try:
            response = ctx.client.send("GET", ctx.client.url(f"/tracks/{quote(carrier, safe='')}/{quote(number, safe='')}"))
        except (NotFoundError, RequestError) as exc:  # this tracking number only
            refused.append(retries.RecordError(key, str(exc)))
            continue
        ctx.land("", response, 1, key=key)
        journal.record(key, response.content)
        if key in before:
            answered.append(key)
    journal.close()
    retries.record_outcomes(ctx.config.warehouse_path, ctx.spec.name, run_id, day, before, refused, answered)
    if refused:
        ctx.on_progress(f"{ctx.spec.name}: {len(refused)} labels' tracking refused by Shippo, quarantined and asked "
                        f"again on a back-off (raw._retries)")
    if ctx.deferred:
        ctx.on_progress(f"{ctx.spec.name}: {ctx.deferred} delivered labels left for the next nights "
                        f"(HUB_SHIPPO_TRACKING_REQUESTS_PER_NIGHT={allowed} reached)")
    return None


def _listed(name: str, description: str, cursor: str, cursor_field: str, fetch) -> StreamSpec:  # noqa: ANN001
    return StreamSpec(
        name=name, system="shippo", description=description, primary_key="`object_id`", cursor_field=cursor_field,
        shape=RecordShape(records_path="$.results[*]", pk_parts=("object_id",), cursor_path=cursor,
                          checks=(Check(cursor, "date"),)),
        fetch=fetch,
    )


STREAMS = (
    _listed("shippo__orders", "Shippo orders: order number (the contract number), status, line items, address.",
            "placed_at", "`placed_at`: the next run re-reads orders, newest first, back to the window before the highest one loaded",
            fetch_orders),
    _listed("shippo__shipments", "Shippo shipments: ship date and the rate bought (cost, carrier).",
            "object_created", "`object_created`: the next run asks object_created_gte = the highest one loaded minus the overlap",
            fetch_shipments),
    _listed("shippo__transactions", "Shippo transactions (labels): order, rate, status, tracking number and status.",
            "object_created", "`object_created`: the next run re-reads transactions, newest first, back to the window before the highest one loaded",
            fetch_transactions),
    StreamSpec(
        name="shippo__tracking",
        system="shippo",
        description="Tracks of delivered labels (`/tracks/{carrier}/{tracking_number}`): status and history.",
        primary_key="`object_id` of the transaction tracked (the track names it in `transaction`)",
        cursor_field="`tracking_status.status_date`, for information only: each run tracks the delivered labels not yet tracked as delivered",
        shape=RecordShape(records_path="$", pk_parts=(KEY,), cursor_path="tracking_status.status_date", scope_path=None,
                          checks=(Check("tracking_status.status_date", "date"),)),
        fetch=fetch_tracking,
        depends_on=("shippo__transactions", "shippo__shipments"),
    ),
)
