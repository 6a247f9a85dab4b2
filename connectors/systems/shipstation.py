"""ShipStation API v2: shipments (by modified time), labels (tracking window) and label tracking.

Labels carry no modified time, so the labels stream re-pulls every label created within the
tracking window (HUB_SHIPSTATION_TRACKING_WINDOW_DAYS, default 60) before its newest one, and the
tracking stream asks `/track` only for delivered labels whose delivery it has not stored yet. A
label whose `/track` the vendor refuses (404 or 400, https://docs.shipstation.com/tracking and the
v2 spec's responses for that path) is quarantined and asked again on a back-off (retries.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

from connectors import retries
from connectors.errors import NotFoundError, RequestError
from connectors.journal import Journal, to_ask
from connectors.pages import NumberedPage
from connectors.pagination import PageNumberPaginator, PageRequest
from connectors.spec import KEY, Check, FetchContext, RecordShape, StreamSpec
from connectors.windows import iso_z, overlap_start, parse_timestamp

PAGE_SIZE = 100
# Two requests in flight keep a vendor that answers one at a time busy while the other thread
# lands (ShipStation allows 200 requests a minute anyway); eight only queued up on httpx's pool
# lock: large tracking, 20k labels, 12.4-14.0 CPU s with two against 12.0-17.0 with eight.
TRACK_CONCURRENCY = 2
DELIVERED = "DE"


def fetch_shipments(ctx: FetchContext) -> None:
    """Shipments modified at or after the cursor minus the overlap (HUB_SHIPSTATION_OVERLAP_MINUTES);
    all of them on the first run. The overlap catches a shipment saved with a modified time just
    before the newest one seen but listed only after it; the load merges the copies away."""
    params: dict[str, object] = {"sort_by": "modified_at", "sort_dir": "asc", "page_size": PAGE_SIZE, "page": 1}
    if ctx.cursor_before:
        params["modified_at_start"] = overlap_start(
            ctx.cursor_before, ctx.config.shipstation_overlap_minutes, ctx.config.start_date)
    first = PageRequest("GET", ctx.client.url("/v2/shipments"), params)
    for _ in ctx.land_pages("", first, PageNumberPaginator("shipments"), NumberedPage("shipments")):
        pass
    return None


def fetch_labels(ctx: FetchContext) -> None:
    """Labels created within the tracking window before the newest one loaded (all on the first run)."""
    params: dict[str, object] = {"sort_by": "created_at", "sort_dir": "asc", "page_size": PAGE_SIZE, "page": 1}
    if ctx.cursor_before:
        window = timedelta(days=ctx.config.shipstation_tracking_window_days)
        params["created_at_start"] = iso_z(parse_timestamp(ctx.cursor_before) - window)
    first = PageRequest("GET", ctx.client.url("/v2/labels"), params)
    for _ in ctx.land_pages("", first, PageNumberPaginator("labels"), NumberedPage("labels")):
        pass
    return None


def fetch_tracking(ctx: FetchContext) -> None:
    """`/v2/labels/{id}/track` for each delivered label not yet tracked as delivered, newest label
    first (the most expensive first within a day), except labels refused before whose next attempt
    (raw._retries) is after this night's day, and at most HUB_SHIPSTATION_TRACKING_REQUESTS_PER_NIGHT
    requests a night: the rest wait for the next nights (`ctx.deferred`), their delivered value shown
    with its date unknown in the marts meanwhile. Answers an interrupted run paid for come from its
    journal (journal.py), not the API."""
    if not ctx.table_exists("shipstation__labels"):
        return None
    day = ctx.last_date
    before = retries.waiting(ctx.config.warehouse_path, ctx.spec.name)
    delivered_labels = "select _pk from raw.shipstation__labels where _record->>'tracking_status' = 'delivered'"
    params: list[object] = []
    if before is not None:
        delivered_labels += retries.not_due_sql()
        params += [ctx.spec.name, day]
    before = before or {}
    if ctx.table_exists("shipstation__tracking"):
        delivered_labels += (
            " and _pk not in (select _pk from raw.shipstation__tracking where _record->>'status_code' = ?)"
        )
        params.append(DELIVERED)
    delivered_labels += (" order by _record->>'created_at' desc, "
                         "try_cast(_record->'shipment_cost'->>'amount' as double) desc nulls last, _pk")
    # the run id names the landing folder: landing/<run_id>/<system>/<stream>
    run_id = ctx.pipeline.lander.root.parents[1].name
    journal = Journal.open(ctx.config.landing_dir, ctx.spec.name, run_id, day)
    allowed = ctx.config.shipstation_tracking_requests_per_night
    budget = max(allowed - journal.spent_today, 0) if allowed else None
    with ctx.query_rows(delivered_labels, params) as labels:
        refused, answered = _track_each(ctx, to_ask(ctx, (label_id for (label_id,) in labels), journal, budget),
                                        before, journal)
    journal.close()
    retries.record_outcomes(ctx.config.warehouse_path, ctx.spec.name, run_id, day, before, refused, answered)
    if refused:
        ctx.on_progress(f"{ctx.spec.name}: {len(refused)} labels' tracking refused by the vendor, quarantined "
                        f"and asked again on a back-off (raw._retries)")
    if ctx.deferred:
        ctx.on_progress(f"{ctx.spec.name}: {ctx.deferred} delivered labels left for the next nights "
                        f"(HUB_SHIPSTATION_TRACKING_REQUESTS_PER_NIGHT={allowed} reached); their delivery "
                        f"date shows as unknown in the marts until then")
    return None


def _track_each(ctx: FetchContext, label_ids: Iterator[str], before: dict[str, int],
                journal: Journal) -> tuple[list[retries.RecordError], list[str]]:
    """`/track` for each label, TRACK_CONCURRENCY at a time, all under the account's rate budget;
    (labels refused, labels answered that were refused before).

    Plain threads taking the next id in turn, not an executor: a future per label woke the
    waiting thread once per label (20k labels: 14.0-16.2 CPU s with an executor, 12.5-14.8 without).
    A 404 or 400 for one label is that label's refusal; any other failure stops the others after
    their request under way and is raised here.
    """
    lock = threading.Lock()
    failures: list[BaseException] = []
    refused: list[retries.RecordError] = []
    answered: list[str] = []

    def work() -> None:
        while not failures:
            with lock:
                label_id = next(label_ids, None)
            if label_id is None:
                return
            try:
                response = ctx.client.send("GET", ctx.client.url(f"/v2/labels/{label_id}/track"))
                ctx.land("", response, 1, key=label_id)
                journal.record(label_id, response.content)
                if label_id in before:
                    with lock:
                        answered.append(label_id)
            except (NotFoundError, RequestError) as exc:  # this label only: the vendor has no tracking for it
                with lock:
                    refused.append(retries.RecordError(label_id, str(exc)))
            except BaseException as exc:  # raised in the caller's thread below
                failures.append(exc)

    threads = [threading.Thread(target=work, name=f"track-{i}") for i in range(TRACK_CONCURRENCY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return refused, answered


STREAMS = (
    StreamSpec(
        name="shipstation__shipments",
        system="shipstation",
        description="ShipStation shipments with their items, status, ship date and external order id.",
        primary_key="`shipment_id`",
        cursor_field="`modified_at`: the next run asks modified_at_start = the highest one loaded",
        shape=RecordShape(
            records_path="$.shipments[*]",
            pk_parts=("shipment_id",),
            cursor_path="modified_at",
            checks=(Check("modified_at", "date"),),  # the cursor only: the ship date is parsed in dbt staging
        ),
        fetch=fetch_shipments,
    ),
    StreamSpec(
        name="shipstation__labels",
        system="shipstation",
        description="ShipStation labels: shipment, cost, tracking number and tracking status.",
        primary_key="`label_id`",
        cursor_field="`created_at`: the next run re-pulls labels created within the tracking window before the highest one loaded",
        shape=RecordShape(
            records_path="$.labels[*]",
            pk_parts=("label_id",),
            cursor_path="created_at",
            checks=(Check("created_at", "date"),),  # the cursor only: the cost is parsed in dbt staging
        ),
        fetch=fetch_labels,
    ),
    StreamSpec(
        name="shipstation__tracking",
        system="shipstation",
        description="Tracking of delivered labels (`/v2/labels/{id}/track`): delivery date and events.",
        primary_key="`label_id` of the label tracked (the track body does not carry it)",
        cursor_field="`actual_delivery_date`, for information only: each run tracks the delivered labels not yet tracked as delivered",
        shape=RecordShape(
            records_path="$",
            pk_parts=(KEY,),
            cursor_path="actual_delivery_date",
            scope_path=None,
            checks=(Check("actual_delivery_date", "date"),),
        ),
        fetch=fetch_tracking,
        depends_on=("shipstation__labels",),
    ),
)
