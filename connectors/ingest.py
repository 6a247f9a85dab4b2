"""The connectors' entry points: fetch, land, load and advance the cursor of one stream.

`ingest_stream` never holds the warehouse while talking to a vendor: it reads the saved cursor,
fetches every page while a background thread lands them and parses them into Parquet batches (batches.py), then takes the
warehouse only for the short merge transaction (see warehouse.py). Independent streams can
therefore run in parallel threads or processes.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb
import httpx
import orjson

from connectors import lake, warehouse
from connectors.auth import auth_headers
from connectors.config import HubConfig
from connectors.errors import ConfigError, LoadError
from connectors.fetching import StreamFetch
from connectors.http import RequestStats, VendorClient, make_http_client
from connectors.landing import (
    DamagedPage,
    Lander,
    copy_without_pages,
    damaged_pages,
    landed_segments,
    stream_dir,
)
from connectors.batches import PagePipeline, parse_pages, remove_batches
from connectors.loading import LoadCounts, cursor_limit, load_pages, read_cursor
from connectors.limits import forecast_seconds, request_floor
from connectors.spec import StreamSpec
from connectors.streams import CATALOGUE

log = logging.getLogger(__name__)

FETCH_MARKER = "_fetch.json"  # written last: the fetch finished, the cursor it chose, the pages landed
REPLAY_DIR = "_replay"  # a replay's copies of segments with damaged pages left out; removed when it ends


@dataclass(frozen=True)
class StreamReport:
    """What one stream's ingest did; `as_metadata()` is safe to show anywhere (no secrets)."""

    stream: str
    pages: int
    records: int
    inserted: int
    updated: int
    unchanged: int
    quarantined: int
    requests: int
    retries: int
    rate_limit_wait_seconds: float
    cursor_before: str | None
    cursor_after: str | None
    seconds: float
    landing_dir: str
    fetch_seconds: float = 0.0  # of `seconds`, the part before the load began (0 for a replay)
    throttled: int = 0  # answers that were the vendor's rate-limit refusal
    deferred: int = 0  # records left for later nights by a request budget (tracking)
    requests_per_1000_records: float | None = None
    floor_per_1000_records: float | None = None  # the same at the largest page the vendor offers
    first_sync_forecast_seconds: float | None = None  # vendor time of a first sync at the documented limits

    def as_metadata(self) -> dict[str, Any]:
        """The report as a plain dict of str/int/float/None."""
        return asdict(self)


def stream_spec(name: str) -> StreamSpec:
    """The spec of a stream by raw table name (any vendor's: the catalogue), or a ConfigError listing the known names."""
    try:
        return CATALOGUE[name]
    except KeyError:
        raise ConfigError(f"unknown stream {name!r}: expected one of {', '.join(sorted(CATALOGUE))}") from None


def _check_run_id(run_id: str) -> None:
    if not run_id or "/" in run_id or run_id in (".", ".."):
        raise ConfigError(f"run id {run_id!r} cannot name a landing folder: use letters, digits, '-' or '_'")


def ingest_stream(
    name: str,
    config: HubConfig,
    run_id: str,
    on_progress: Callable[[str], None] | None = None,
    *,
    transport: httpx.BaseTransport | None = None,
) -> StreamReport:
    """Fetch a stream from its saved cursor, land the pages, load them and advance the cursor."""
    spec = stream_spec(name)
    system = config.system(spec.system)  # a missing variable fails here, before any write
    _check_run_id(run_id)
    progress = _progress(on_progress)
    started = time.monotonic()
    cursor_before = None
    if config.warehouse_path.exists():  # a first run creates nothing before its fetch succeeds
        with warehouse.connect(config.warehouse_path) as con:
            cursor_before = read_cursor(con, name)
    progress(f"{name}: fetching from cursor {cursor_before or '(none, full load)'}")
    root = stream_dir(config.landing_dir, run_id, spec.system, spec.stream)
    lander = Lander(root, _extension(spec))
    stats = RequestStats()
    pipeline = PagePipeline(spec, lander)
    try:
        with make_http_client(config, transport) as http:
            client = VendorClient(system, config, name, auth_headers(system), http, stats)
            ctx = StreamFetch(spec, config, system, client, pipeline, cursor_before, progress)
            explicit_cursor = spec.fetch(ctx)
        progress(f"{name}: fetched {lander.pages} pages, {ctx.records} records in {stats.requests} requests")
        batches = pipeline.finish()
    except BaseException:
        pipeline.abandon()
        raise
    root.mkdir(parents=True, exist_ok=True)
    (root / FETCH_MARKER).write_bytes(orjson.dumps({"cursor_after": explicit_cursor, "pages": lander.pages}))
    return _load(spec, config, run_id, root, batches, lander.pages, explicit_cursor, stats, started, progress,
                 deferred=ctx.deferred)


def replay_landing(
    name: str, config: HubConfig, run_id: str, on_progress: Callable[[str], None] | None = None
) -> StreamReport:
    """Load the pages a run already landed for a stream again, without calling the API.

    Pages that no longer parse (a truncated or overwritten segment) are named, skipped and kept
    in `raw._quarantine` (stream, `<segment>:<page>`, reason, the page's first bytes) while the
    rest loads.
    """
    spec = stream_spec(name)
    _check_run_id(run_id)
    progress = _progress(on_progress)
    root = stream_dir(config.landing_dir, run_id, spec.system, spec.stream)
    marker = root / FETCH_MARKER
    if not marker.exists():
        raise LoadError(
            f"{name}: nothing to replay for run {run_id}: {marker} is missing (the fetch never "
            f"finished); run ingest_stream instead"
        )
    fetched = orjson.loads(marker.read_bytes())
    segments = landed_segments(root, None)  # a stream may land pages of several formats (landing.py)
    damaged = [page for segment in segments for page in damaged_pages(segment)]
    for page in damaged:
        progress(f"{name}: skipping damaged landed page {page.describe()}; it goes to raw._quarantine")
    try:
        batches = parse_pages(spec, _readable(segments, damaged, root / REPLAY_DIR), root)
        return _load(spec, config, run_id, root, batches, fetched["pages"], fetched["cursor_after"], RequestStats(),
                     time.monotonic(), progress, damaged)
    finally:
        shutil.rmtree(root / REPLAY_DIR, ignore_errors=True)


def _readable(segments: list[Path], damaged: list[DamagedPage], folder: Path) -> list[Path]:
    """The segments with their damaged pages left out: untouched ones as they are, others as copies."""
    skip: dict[Path, set[int]] = {}
    for page in damaged:
        skip.setdefault(page.segment, set()).add(page.page)
    return [
        segment if segment not in skip
        else copy_without_pages(segment, skip[segment], folder)
        for segment in segments
        if segment not in skip or segment.suffix != ".csv"  # a CSV segment is a single page
    ]


def _load(
    spec: StreamSpec,
    config: HubConfig,
    run_id: str,
    root: Path,
    batches: list[Path],
    pages: int,
    explicit_cursor: str | None,
    stats: RequestStats,
    started: float,
    progress: Callable[[str], None],
    damaged: Sequence[DamagedPage] = (),
    deferred: int = 0,
) -> StreamReport:
    progress(f"{spec.name}: loading {pages} pages")
    fetch_seconds = time.monotonic() - started
    try:
        with warehouse.connect(config.warehouse_path) as con:
            con.begin()
            try:
                cursor_before = read_cursor(con, spec.name)
                counts = load_pages(con, spec, batches, run_id, cursor_before, explicit_cursor,
                                    cursor_limit(config.end_date))
                _quarantine_pages(con, spec.name, run_id, damaged)
                report = _report(spec.name, pages, counts, stats, cursor_before, time.monotonic() - started, root,
                                 len(damaged), fetch_seconds)
                report = with_request_costs(report, spec.system, _stored_rows(con, spec.name), deferred)
                _record_load(con, run_id, report)
                con.commit()
            except BaseException:
                con.rollback()
                raise
            if config.lake_dir is not None:  # after the commit: the lake never holds rows raw lost
                lake.export_changes(con, config.lake_dir, spec.name)
    finally:
        remove_batches(root)  # Parquet batches are a by-product; the landed pages stay for replays
    progress(
        f"{spec.name}: loaded {counts.records} records ({counts.inserted} new, {counts.updated} updated, "
        f"{counts.unchanged} unchanged, {counts.quarantined} quarantined); cursor {cursor_before} -> {counts.cursor_after}"
    )
    return report


LOADS_COLUMNS = ("run_id", "stream", "pages", "records", "inserted", "updated", "unchanged", "quarantined",
                 "requests", "retries", "rate_limit_wait_seconds", "cursor_before", "cursor_after", "seconds")
# Columns raw._loads gained with the rate-limit report; added to a warehouse made before them.
COST_COLUMNS = {"throttled": "bigint", "deferred": "bigint", "requests_per_1000_records": "double",
                "floor_per_1000_records": "double", "first_sync_forecast_seconds": "double"}


def _record_load(con: duckdb.DuckDBPyConnection, run_id: str, report: StreamReport) -> None:
    """The stream's row in raw._loads (replacing a replay's earlier one)."""
    for column, kind in COST_COLUMNS.items():
        con.execute(f"alter table raw._loads add column if not exists {column} {kind}")
    values = report.as_metadata() | {"run_id": run_id}
    columns = [*LOADS_COLUMNS, *COST_COLUMNS]
    con.execute(
        f"insert or replace into raw._loads ({', '.join(columns)}, loaded_at) "
        f"values ({', '.join('?' for _ in columns)}, now() at time zone 'UTC')",
        [values[column] for column in columns],
    )


def _stored_rows(con: duckdb.DuckDBPyConnection, name: str) -> int:
    """Rows of `raw.<name>` after this load (what a first sync would fetch today)."""
    exists = con.execute("select count(*) from information_schema.tables where table_schema = 'raw' and table_name = ?",
                         [name]).fetchone()[0]
    return con.execute(f'select count(*) from raw."{name}"').fetchone()[0] if exists else 0


def with_request_costs(report: StreamReport, system: str, stored_rows: int, deferred: int = 0) -> StreamReport:
    """The report with what its requests cost: per 1,000 records against the floor (records / the
    largest page, limits.py), and the vendor time a first sync of what is stored (plus what waits
    for later nights) would take at the documented limits."""
    floor = request_floor(report.stream, report.records, Path(report.landing_dir))
    per_1000 = round(1000 * report.requests / report.records, 2) if report.records else None
    floor_per_1000 = round(1000 * floor / report.records, 2) if floor is not None and report.records else None
    first_sync_requests = request_floor(report.stream, stored_rows + deferred)
    if report.cursor_before is None:  # this run was a first sync: its own requests are the measure
        first_sync_requests = max(report.requests + deferred, first_sync_requests or 0)
    forecast = forecast_seconds(system, first_sync_requests) if first_sync_requests is not None else None
    return dataclasses.replace(report, deferred=deferred, requests_per_1000_records=per_1000,
                               floor_per_1000_records=floor_per_1000,
                               first_sync_forecast_seconds=round(forecast, 1) if forecast is not None else None)


def _quarantine_pages(con: duckdb.DuckDBPyConnection, name: str, run_id: str, damaged: Sequence[DamagedPage]) -> None:
    """One quarantine row per damaged page (not again when the same page is replayed again)."""
    for page in damaged:
        pk = f"{page.segment}:{page.page}"
        record = orjson.dumps({"file": str(page.segment), "page": page.page, "text": page.text}).decode()
        con.execute(
            "insert into raw._quarantine select ?, ?, ?, ?::json, ?, now() at time zone 'UTC' where not exists "
            "(select 1 from raw._quarantine where stream = ? and pk = ? and reason = ?)",
            [name, pk, f"damaged landed page: {page.reason}", record, run_id, name, pk, f"damaged landed page: {page.reason}"],
        )


def _extension(spec: StreamSpec) -> str:
    return "csv" if spec.shape.page_format == "csv" else "json"


def _report(
    name: str,
    pages: int,
    counts: LoadCounts,
    stats: RequestStats,
    cursor_before: str | None,
    seconds: float,
    root: Path,
    damaged_pages: int = 0,
    fetch_seconds: float = 0.0,
) -> StreamReport:
    return StreamReport(
        stream=name,
        pages=pages,
        records=counts.records,
        inserted=counts.inserted,
        updated=counts.updated,
        unchanged=counts.unchanged,
        quarantined=counts.quarantined + damaged_pages,
        requests=stats.requests,
        retries=stats.retries,
        rate_limit_wait_seconds=round(stats.rate_limit_wait_seconds, 3),
        throttled=stats.throttled,
        cursor_before=cursor_before,
        cursor_after=counts.cursor_after,
        seconds=round(seconds, 3),
        landing_dir=str(root),
        fetch_seconds=round(fetch_seconds, 3),
    )


def _progress(on_progress: Callable[[str], None] | None) -> Callable[[str], None]:
    def report(message: str) -> None:
        log.info("%s", message)
        if on_progress is not None:
            on_progress(message)

    return report
