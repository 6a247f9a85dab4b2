"""What a stream is: its identity for the pipelines layer, how it fetches, how its records load.

`FetchContext` is what a stream's fetch gets to work with, as a Protocol: the systems' fetch
functions depend on it alone, and fetching.StreamFetch (which needs the page pipeline and the
warehouse) implements it, so this module imports neither.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, Protocol

from connectors.config import HubConfig, SystemConfig
from connectors.http import Response, VendorClient
from connectors.landing import Lander
from connectors.pages import PageContract
from connectors.pagination import PageRequest, Paginator
from connectors.warehouse import QueryRows

# A record path is a dotted path into the record JSON (`properties.amount`); `@dir` stands for the
# landing folder the page sits in (the account); `@key` for the key landed beside a page fetched for
# one key whose body does not name it (landing.py, `pages-NNNNNN.keys`).
DIR = "@dir"
KEY = "@key"


@dataclass(frozen=True)
class Check:
    """A field that, when present, must parse as an amount or a date, else quarantine the record."""

    path: str
    kind: Literal["amount", "date"]


@dataclass(frozen=True)
class CsvRecords:
    """How a typed CSV page's rows become the records its vendor's JSON pages hold (Salesforce's Bulk
    API result sets beside its query pages): `''` is null, `types` casts columns (others stay text),
    and `members` (SQL, may read `page_key`, the JSON landed in the segment's keys file, and the
    row's columns) adds leading members the CSV has no column for."""

    types: tuple[tuple[str, str], ...] = ()  # (column, DuckDB type)
    members: str | None = None  # `name := <sql>, ...` for struct_pack


@dataclass(frozen=True)
class RecordShape:
    """How records come out of a landed page and which columns they get."""

    records_path: str  # JSON path of the record list in a page, `$` when the page is the record
    pk_parts: tuple[str, ...]  # record paths joined with ':' into `_pk`
    cursor_path: str | None  # record path of `_cursor` (None: '')
    scope_path: str | None = DIR  # where `_scope` comes from (None: no scope, '')
    checks: tuple[Check, ...] = ()
    page_format: Literal["json", "csv"] = "json"  # of the stream's pages; a page may land in another (landing.py)
    csv: CsvRecords | None = None  # how CSV pages of a JSON stream are read (None: as text, like ECB's)


@dataclass(frozen=True)
class StreamSpec:
    """One raw table and the fetch that fills it."""

    name: str  # raw table name, `<system>__<stream>`
    system: str
    description: str
    primary_key: str  # for people, no final period (shown inside other sentences)
    cursor_field: str  # for people, no final period
    shape: RecordShape
    fetch: Callable[[FetchContext], str | None] = field(repr=False)
    depends_on: tuple[str, ...] = ()

    @property
    def stream(self) -> str:
        """The stream part of the name (`contacts` in `hubspot__contacts`)."""
        return self.name.split("__", 1)[1]


class PageSink(Protocol):
    """Where a fetched page's bytes go (batches.PagePipeline): landed by `lander`, then parsed."""

    lander: Lander

    def land(self, scope: str, body: bytes, key: str | None = None, extension: str | None = None) -> None: ...


class FetchContext(Protocol):
    """What one stream's fetch function needs: settings, the vendor client, the saved cursor, a place
    to land pages and small reads of the warehouse; it returns the cursor to save, if any."""

    spec: StreamSpec
    config: HubConfig
    system: SystemConfig
    client: VendorClient
    pipeline: PageSink
    cursor_before: str | None
    on_progress: Callable[[str], None]
    deferred: int

    @property
    def last_date(self) -> date: ...

    def land(
        self, scope: str, response: Response, records: int, key: str | None = None, extension: str | None = None
    ) -> None: ...

    def land_pages(
        self, scope: str, first: PageRequest, paginator: Paginator, contract: PageContract
    ) -> Iterator[Response]: ...

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]: ...

    def query_rows(
        self, sql: str, params: list[Any] | None = None
    ) -> contextlib.AbstractContextManager[QueryRows]: ...

    def table_exists(self, name: str) -> bool: ...
