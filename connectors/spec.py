"""What a stream is: its identity for the pipelines layer, how it fetches, how its records load."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from connectors.fetching import FetchContext

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
class RecordShape:
    """How records come out of a landed page and which columns they get."""

    records_path: str  # JSON path of the record list in a page, `$` when the page is the record
    pk_parts: tuple[str, ...]  # record paths joined with ':' into `_pk`
    cursor_path: str | None  # record path of `_cursor` (None: '')
    scope_path: str | None = DIR  # where `_scope` comes from (None: no scope, '')
    checks: tuple[Check, ...] = ()
    page_format: Literal["json", "csv"] = "json"


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
