"""Page contracts: what each vendor promises a list page holds, checked on every page.

A 200 page without its records key, with totals that do not add up, or without a next cursor
although its totals say there is more is not the end of the data: it is a broken page
(errors.BrokenPage, a ValueError), which VendorClient.send retries like a malformed body and then
fails clearly, before anything of the fetch is loaded or a cursor moves. Checks read only the
page's bookkeeping (keys, totals, the length of the records list), never the records themselves.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from connectors.decoding import decode_page
from connectors.errors import BrokenPage
from connectors.pagination import PageRequest, dig


class PageContract(Protocol):
    """Checks one decoded page fetched by `request`; BrokenPage when it breaks the vendor's promise."""

    def check(self, request: PageRequest, data: Any) -> None: ...

    def count(self, data: Any) -> int:
        """The number of records on a page that passed `check`."""
        ...


def parser(contract: PageContract | None, request: PageRequest) -> Callable[[bytes], Any]:
    """The `parse` for VendorClient.send: decode the body, then check it against `contract`."""
    if contract is None:
        return decode_page

    def parse(body: bytes) -> Any:
        data = decode_page(body)
        contract.check(request, data)
        return data

    return parse


def records_list(data: Any, key: str, vendor: str) -> list[Any]:
    """`data[key]`, which must be present and a list; BrokenPage naming the key otherwise."""
    if not isinstance(data, dict):
        raise BrokenPage(f"the page is a JSON {type(data).__name__}, not the object {vendor} documents")
    records = data.get(key)
    if not isinstance(records, list):
        what = "lacks" if key not in data else f"has a {type(records).__name__} under"
        raise BrokenPage(f"the page {what} its records key {key!r}, which {vendor} documents as a list")
    return records


def _integer(data: dict[str, Any], key: str, vendor: str) -> int:
    """A declared total (an int, or a string of one as DocuSign sends them); BrokenPage otherwise."""
    value = data.get(key)
    try:
        number = int(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None or number < 0:
        raise BrokenPage(f"the page's {key!r} is {value!r}, not the non-negative count {vendor} documents")
    return number


@dataclass(frozen=True)
class KeyedList:
    """A page whose records sit in a list under `key`. When the page announces a next page (a
    value at `next_path`), the cursor (`next_path` + `cursor_key`, or the value itself) must be a
    non-empty string (HubSpot `paging.next.after`, Meta `paging.next`)."""

    key: str
    vendor: str
    next_path: tuple[str, ...] = ()
    cursor_key: str | None = None

    def check(self, request: PageRequest, data: Any) -> None:
        records_list(data, self.key, self.vendor)
        announced = dig(data, self.next_path) if self.next_path else None
        if announced is None:
            return
        cursor = dig(announced, (self.cursor_key,)) if self.cursor_key else announced
        if not isinstance(cursor, str) or not cursor:
            where = ".".join(self.next_path + ((self.cursor_key,) if self.cursor_key else ()))
            raise BrokenPage(f"the page announces a next page but its {where} is {cursor!r}")

    def count(self, data: Any) -> int:
        return len(data[self.key])


@dataclass(frozen=True)
class NumberedPage:
    """ShipStation v2 paged lists: the records list plus `total`, `page`, `pages` and `links`, all
    required (https://docs.shipstation.com/apis/shipengine/docs/reference/pagination; the spec's
    `paged_list_response_body`). `page` must be the page asked for, `pages` agree with `total` and
    the page size (0 or 1 when there are no results), and the page hold every record its place in
    the total calls for."""

    key: str
    vendor: str = "ShipStation"

    def check(self, request: PageRequest, data: Any) -> None:
        records = records_list(data, self.key, self.vendor)
        total, page, pages = (_integer(data, k, self.vendor) for k in ("total", "page", "pages"))
        size = int(request.params.get("page_size", 25))
        asked = int(request.params.get("page", 1))
        if page != asked:
            raise BrokenPage(f"the page says it is page {page}, but page {asked} was asked for")
        expected_pages = math.ceil(total / size)
        if pages != expected_pages and not (total == 0 and pages in (0, 1)):
            raise BrokenPage(f"the page declares {pages} pages for a total of {total} at {size} a page")
        due = max(0, min(size, total - (page - 1) * size))
        if len(records) < due:
            raise BrokenPage(f"page {page} holds {len(records)} of the {due} records its total of {total} calls for")
        if page < pages and not dig(data, ("links", "next", "href")):
            raise BrokenPage(f"page {page} of {pages} has no links.next.href")

    def count(self, data: Any) -> int:
        return len(data[self.key])


@dataclass(frozen=True)
class OffsetPage:
    """DocuSign listStatusChanges (`envelopesInformation`): `resultSetSize`, `startPosition`,
    `endPosition` and `totalSetSize` as strings of integers; `envelopes` is left out when the page
    is empty, so it is required exactly when `resultSetSize` is not 0, and then holds that many;
    `nextUri` is non-empty while `endPosition` is short of the total
    (https://developers.docusign.com/docs/esign-rest-api/reference/envelopes/envelopes/liststatuschanges/)."""

    key: str = "envelopes"
    vendor: str = "DocuSign"

    def check(self, request: PageRequest, data: Any) -> None:
        if not isinstance(data, dict):
            raise BrokenPage(f"the page is a JSON {type(data).__name__}, not the object {self.vendor} documents")
        size = _integer(data, "resultSetSize", self.vendor)
        total = _integer(data, "totalSetSize", self.vendor)
        start = _integer(data, "startPosition", self.vendor)
        records = records_list(data, self.key, self.vendor) if size or self.key in data else []
        if len(records) != size:
            raise BrokenPage(f"the page holds {len(records)} {self.key} but declares resultSetSize {size}")
        asked = int(request.params.get("start_position", 0))
        if start != asked:
            raise BrokenPage(f"the page starts at {start}, but start_position {asked} was asked for")
        if size and _integer(data, "endPosition", self.vendor) + 1 < total and not data.get("nextUri"):
            raise BrokenPage(f"the page ends at {data['endPosition']} of {total} but has no nextUri")

    def count(self, data: Any) -> int:
        return len(data.get(self.key) or ())


@dataclass(frozen=True)
class StreamBatches:
    """Google Ads searchStream: a JSON array of batch objects, each with its `results` list; only an
    answer without rows is one batch without `results` (proto3 JSON leaves empty lists out:
    https://developers.google.com/google-ads/api/reference/rpc/v21/SearchGoogleAdsStreamResponse)."""

    vendor: str = "Google Ads"

    def check(self, request: PageRequest, data: Any) -> None:
        if not isinstance(data, list) or not data:
            raise BrokenPage(f"the answer is {type(data).__name__}, not the non-empty array of batches {self.vendor} streams")
        for n, batch in enumerate(data):
            if not isinstance(batch, dict):
                raise BrokenPage(f"batch {n} is a JSON {type(batch).__name__}, not an object")
            if "results" in batch or len(data) > 1:
                records_list(batch, "results", self.vendor)

    def count(self, data: Any) -> int:
        return sum(len(b.get("results") or ()) for b in data)


@dataclass(frozen=True)
class TotalledList:
    """A KeyedList page that also declares the `total` of its listing (HubSpot search,
    https://developers.hubspot.com/docs/api/crm/search): a last page (no next cursor) must bring
    the records seen in the listing (`seen_before` this page, duplicates included) up to the total."""

    page: KeyedList
    seen_before: int = 0
    total_key: str = "total"

    def check(self, request: PageRequest, data: Any) -> None:
        self.page.check(request, data)
        total = _integer(data, self.total_key, self.page.vendor)
        seen = self.seen_before + len(data[self.page.key])
        if dig(data, self.page.next_path) is None and seen < total:
            raise BrokenPage(f"the last page brings {seen} of the {total} records its listing declares")

    def count(self, data: Any) -> int:
        return self.page.count(data)
