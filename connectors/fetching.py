"""StreamFetch: what a stream's fetch function gets to work with (spec.FetchContext), and the shared page-landing loop."""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from connectors.config import HubConfig, SystemConfig
from connectors.http import Response, VendorClient
from connectors.pages import PageContract, parser
from connectors.pagination import PageRequest, Paginator, iter_pages
from connectors.spec import StreamSpec
from connectors.batches import PagePipeline
from connectors import warehouse
from connectors.warehouse import QueryRows

log = logging.getLogger(__name__)

PROGRESS_EVERY_PAGES = 50


@dataclass
class StreamFetch:
    """One stream's fetch: settings, the vendor client, the page pipeline and the saved cursor (implements spec.FetchContext)."""

    spec: StreamSpec
    config: HubConfig
    system: SystemConfig
    client: VendorClient
    pipeline: PagePipeline
    cursor_before: str | None
    on_progress: Callable[[str], None]
    records: int = 0
    pages: int = 0
    deferred: int = 0  # records left for a later night by a request budget (tracking)
    today: date = field(default_factory=lambda: datetime.now(timezone.utc).date())
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def last_date(self) -> date:
        """The last date date-ranged streams ask for: HUB_END_DATE, else today (UTC)."""
        return self.config.end_date or self.today

    def land(
        self, scope: str, response: Response, records: int, key: str | None = None, extension: str | None = None
    ) -> None:
        """Hand one page's bytes (and the key it was fetched for, when its body lacks it; its format when
        not the stream's) to be landed and staged, count its records; reports progress now and then. A
        secret the vendor echoed into the page (Meta's next links embed the access token) is masked first."""
        self.pipeline.land(scope, self.client.redactor.scrub(response.content), key, extension)
        with self._lock:
            self.records += records
            self.pages += 1
            pages, total = self.pages, self.records
        if pages % PROGRESS_EVERY_PAGES == 1:
            self.on_progress(f"{self.spec.name}: fetched {pages} pages, {total} records")

    def land_pages(
        self, scope: str, first: PageRequest, paginator: Paginator, contract: PageContract
    ) -> Iterator[Response]:
        """Fetch every page of a listing, each checked against the vendor's page `contract`, and land
        it; yields each page after landing it."""
        for response in iter_pages(self.client, first, paginator, functools.partial(parser, contract)):
            self.land(scope, response, contract.count(response.data))
            yield response

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """A small answer from the warehouse, holding it only for this query."""
        with warehouse.connect(self.config.warehouse_path) as con:
            return con.execute(sql, params or []).fetchall()

    def query_rows(self, sql: str, params: list[Any] | None = None) -> contextlib.AbstractContextManager[QueryRows]:
        """The rows of a warehouse query that may run to millions (e.g. which deals changed): see
        warehouse.query_rows."""
        return warehouse.query_rows(self.config.warehouse_path, sql, params)

    def table_exists(self, name: str) -> bool:
        """Whether `raw.<name>` exists yet."""
        if not self.config.warehouse_path.exists():
            return False
        rows = self.query(
            "select 1 from information_schema.tables where table_schema = 'raw' and table_name = ?", [name]
        )
        return bool(rows)
