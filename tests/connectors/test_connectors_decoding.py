"""Pages are decoded only as deep as pagination reads them: bookkeeping fields as values, arrays of
records as the records' own bytes (validated, so a malformed page is still retried, never landed)."""

from __future__ import annotations

import orjson
import pytest

from connectors.decoding import decode_page, decode_record


def test_bookkeeping_is_decoded_and_records_stay_as_their_bytes():
    body = b'{"results": [{"id": "1", "properties": {"a": null}} , {"id": "2"}], "paging": {"next": {"after": "2"}}, "ids": [1, 2], "none": []}'
    page = decode_page(body)
    assert page["paging"] == {"next": {"after": "2"}}
    assert page["ids"] == [1, 2] and page["none"] == []
    assert [bytes(r) for r in page["results"]] == [b'{"id": "1", "properties": {"a": null}}', b'{"id": "2"}']
    assert decode_record(page["results"][-1]) == {"id": "2"}


def test_a_top_level_array_keeps_each_objects_records_raw():
    page = decode_page(b' [{"results": [{"x": 1}], "fieldMask": "a"}, {"results": []}]')
    assert [len(batch["results"]) for batch in page] == [1, 0]
    assert page[0]["fieldMask"] == "a" and decode_record(page[0]["results"][0]) == {"x": 1}


def test_a_body_that_is_one_record_decodes_as_json():
    body = orjson.dumps({"status_code": "DE", "events": [{"event_code": "DL"}]})
    assert [decode_record(e) for e in decode_page(body)["events"]] == [{"event_code": "DL"}]


@pytest.mark.parametrize("body", [b'{"results": [{"id": 1,}]}', b'{"results": [{"id": tru}]}', b"<html>", b"", b'{"a": 1} x'])
def test_malformed_json_anywhere_in_the_page_is_a_value_error(body):
    with pytest.raises(ValueError):
        decode_page(body)
