"""Pagination as a tiny protocol (first request, next request from a response), one class per scheme.

HubSpot uses a cursor (`after`), ShipStation page numbers, DocuSign offsets (`start_position`)
and Meta next-links (`paging.next`); every system reuses these four.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import orjson

from connectors.decoding import decode_page
from connectors.errors import LoopingCursorError
from connectors.http import Response, VendorClient

# Pages fetched ahead of the caller: enough to ride out a slow landing, a few MB at most.
PREFETCH_PAGES = 4


@dataclass(frozen=True)
class PageRequest:
    """One page's request: method, absolute URL, query params and JSON body."""

    method: str
    url: str
    params: Mapping[str, Any] = field(default_factory=dict)
    json: Any = None


class Paginator(Protocol):
    """Given the request that fetched a page and its response, the next page's request or None."""

    def next_request(self, request: PageRequest, response: Response) -> PageRequest | None: ...


def dig(data: Any, path: tuple[str, ...]) -> Any:
    """`data[path[0]][path[1]]...`, or None as soon as a step is missing."""
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


@dataclass(frozen=True)
class CursorPaginator:
    """The response names an opaque cursor; the next request sends it as `param` (query or body)."""

    cursor_path: tuple[str, ...]
    param: str = "after"
    in_body: bool = False

    def next_request(self, request: PageRequest, response: Response) -> PageRequest | None:
        cursor = dig(response.data, self.cursor_path)
        if cursor in (None, ""):
            return None
        if self.in_body:
            return replace(request, json={**request.json, self.param: cursor})
        return replace(request, params={**request.params, self.param: cursor})


@dataclass(frozen=True)
class PageNumberPaginator:
    """Pages numbered from 1; stops at the reported page count or at an empty page."""

    records_key: str
    pages_key: str = "pages"
    param: str = "page"

    def next_request(self, request: PageRequest, response: Response) -> PageRequest | None:
        page = int(request.params.get(self.param, 1))
        pages = response.data.get(self.pages_key)
        if not response.data.get(self.records_key) or (pages is not None and page >= int(pages)):
            return None
        return replace(request, params={**request.params, self.param: page + 1})


@dataclass(frozen=True)
class OffsetPaginator:
    """Offset and count (`start_position`), stopping when the offset reaches the total size.

    The next offset follows the page's own end position when it reports one (DocuSign's
    `endPosition`): a page may hold more or fewer records than asked when the data moved.
    """

    records_key: str
    total_key: str
    end_key: str | None = None
    param: str = "start_position"

    def next_request(self, request: PageRequest, response: Response) -> PageRequest | None:
        got = len(response.data.get(self.records_key) or ())
        end = response.data.get(self.end_key) if self.end_key else None
        offset = int(end) + 1 if end not in (None, "") else int(request.params.get(self.param, 0)) + got
        total = response.data.get(self.total_key)
        if got == 0 or (total is not None and offset >= int(total)):
            return None
        return replace(request, params={**request.params, self.param: offset})


@dataclass(frozen=True)
class NextLinkPaginator:
    """The response carries the next page's full URL; followed only on the configured origin."""

    link_path: tuple[str, ...]
    client: VendorClient

    def next_request(self, request: PageRequest, response: Response) -> PageRequest | None:
        link = dig(response.data, self.link_path)
        if not link:
            return None
        # The link carries every query parameter already; Meta's even embeds the token, dropped
        # here: the header authenticates (https://developers.facebook.com/docs/graph-api/results).
        return PageRequest("GET", self.client.follow(link), {}, None)


def request_key(request: PageRequest) -> bytes:
    """What makes two requests the same request (method, URL, params, body), as bytes to remember."""
    return orjson.dumps([request.method, request.url, request.params, request.json], option=orjson.OPT_SORT_KEYS)


def iter_pages(
    client: VendorClient,
    first: PageRequest,
    paginator: Paginator,
    parser: Callable[[PageRequest], Callable[[bytes], Any]] = lambda request: decode_page,
) -> Iterator[Response]:
    """Every page of a listing, in order; the next page is requested while the caller handles this one.

    A background thread sends the requests (each only once its predecessor answered: the next
    request comes from the previous response) and hands the responses over through a queue of
    `PREFETCH_PAGES`. The vendor builds page N+1 while the caller lands page N, so landing and
    staging stay off the request-to-request path. A failed request is raised here, after the
    pages before it. A caller that stops early (or fails) stops the fetcher and waits for it: at
    most the request already under way completes, none is sent after iteration ended.
    `parser(request)` gives the body parser of that request's page (pages.parser checks the
    vendor's page contract in it). A vendor that hands back a cursor or link already followed in
    this listing is stopped with LoopingCursorError instead of being paged forever.
    """
    handover: queue.Queue[Response | _Failed | None] = queue.Queue(maxsize=PREFETCH_PAGES)
    stop = threading.Event()

    def fetch() -> None:
        request: PageRequest | None = first
        sent: set[bytes] = set()
        try:
            while request is not None and not stop.is_set():
                key = request_key(request)
                if key in sent:
                    raise LoopingCursorError(
                        f"{client.stream}: the vendor sent a next cursor or link already followed in this listing "
                        f"({client.redactor.url(request.url)}, {client.redactor.text(str(dict(request.params)))}) after "
                        f"{len(sent)} pages; stopped instead of paging forever. Nothing of this fetch was loaded and "
                        f"the cursor did not move: run it again later, and report it to the vendor if it persists"
                    )
                sent.add(key)
                response = client.send(
                    request.method, request.url, params=request.params or None, json=request.json,
                    parse=parser(request),
                )
                handover.put(response)  # before the next request is worked out: that may refuse a link
                request = paginator.next_request(request, response)
        except BaseException as exc:  # raised in the caller's thread, in page order
            handover.put(_Failed(exc))
        else:
            handover.put(None)

    fetcher = threading.Thread(target=fetch, name=f"fetch-{client.stream}", daemon=True)
    fetcher.start()
    try:
        while (item := handover.get()) is not None:
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        while fetcher.is_alive():  # keep a fetcher blocked on a full queue moving until it sees `stop`
            try:
                handover.get(timeout=0.05)
            except queue.Empty:
                pass
        fetcher.join()


@dataclass(frozen=True)
class _Failed:
    """A request that failed in the fetcher thread, handed over to be raised in the caller's."""

    error: BaseException
