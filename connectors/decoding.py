"""JSON pages decoded only as deep as pagination reads them.

Paginators and fetch functions read a page's bookkeeping (cursor, page count, total, next link)
and count its records; the records themselves are parsed by DuckDB from the landed page. So a
page's arrays of objects stay `msgspec.Raw` (the record's bytes, checked to be valid JSON but
not built into Python objects) and only the rest is decoded. Building every record as dicts
cost the fetch thread twice the time (large shipments, 169 pages: orjson 0.11 CPU s, this
0.05 s) and held 4 to 5 times a page's size per page waiting in the fetch queue (Google Ads'
6 MB pages), against next to nothing for `Raw` views of the body.
"""

from __future__ import annotations

from typing import Any

import msgspec

_OBJECT = msgspec.json.Decoder(dict[str, msgspec.Raw])
_ARRAY = msgspec.json.Decoder(list[msgspec.Raw])
_VALUE = msgspec.json.Decoder()


def decode_page(body: bytes) -> Any:
    """A JSON body with each array of objects under its top level (an object, or the objects of a
    top-level array) left as a list of `msgspec.Raw`; a malformed body raises ValueError."""
    start = body[:64].lstrip()[:1]
    if start == b"{":
        return _object(body)
    if start == b"[":
        return [_object(item) if _first(item) == b"{" else _VALUE.decode(item) for item in _ARRAY.decode(body)]
    return _VALUE.decode(body)


def decode_record(raw: msgspec.Raw | bytes) -> Any:
    """One record a page kept raw, decoded (for the few a fetch reads, e.g. a search's last one)."""
    return _VALUE.decode(raw)


def _first(raw: msgspec.Raw) -> bytes:
    return bytes(memoryview(raw)[:1])  # msgspec trims the whitespace around a Raw value


def _object(data: bytes | msgspec.Raw) -> dict[str, Any]:
    return {key: _array(value) if _first(value) == b"[" else _VALUE.decode(value) for key, value in _OBJECT.decode(data).items()}


def _array(raw: msgspec.Raw) -> list[Any]:
    items = _ARRAY.decode(raw)
    if items and _first(items[0]) == b"{":
        return items  # records: kept raw
    return [_VALUE.decode(item) for item in items]
