"""Background staging: pages staged in many small batches load exactly as one clean run; a page the
stager cannot parse stops the ingest with an error naming the stream and leaves no staged files."""

from __future__ import annotations

import duckdb
import orjson
import pytest
from connector_helpers import raw_rows

from connectors import batches
from connectors.errors import LoadError
from connectors.ingest import ingest_stream
from connectors.landing import Lander, landed_page_bodies, stream_dir
from connectors.batches import PagePipeline, batch_dir
from connectors.streams import STREAMS


def test_one_batch_per_page_loads_the_same_rows_as_a_clean_run(tiny_config, clean_tiny_tables, monkeypatch):
    monkeypatch.setattr(batches, "BATCH_BYTES", 1)  # every page becomes its own Parquet batch
    monkeypatch.setattr(batches, "QUEUE_BATCHES", 1)  # and the fetch waits on the stager often
    seen_batches: list[int] = []
    finish = PagePipeline.finish

    def counting_finish(self):
        batches = finish(self)
        seen_batches.append(len(batches))
        return batches

    monkeypatch.setattr(PagePipeline, "finish", counting_finish)
    for name in STREAMS:
        report = ingest_stream(name, tiny_config, "batched")
        root = stream_dir(tiny_config.landing_dir, "batched", STREAMS[name].system, STREAMS[name].stream)
        assert not batch_dir(root).exists(), f"{name}: staged batches left behind after the load"
        assert seen_batches[-1] == report.pages
    assert max(seen_batches) > 1
    assert {name: raw_rows(tiny_config, name) for name in STREAMS} == clean_tiny_tables


def test_a_page_the_stager_cannot_parse_fails_with_the_stream_and_page(tmp_path):
    spec = STREAMS["hubspot__deals"]
    root = stream_dir(tmp_path, "run-x", spec.system, spec.stream)
    pipeline = PagePipeline(spec, Lander(root))
    pipeline.land("", b'{"results": [{"id": "1"}]}')
    pipeline.land("", b"<html>not json</html>")
    with pytest.raises(LoadError) as failure:
        pipeline.finish()
    message = str(failure.value)
    assert message.startswith("hubspot__deals: cannot parse the landed pages ")
    assert str(root / "_" / "pages-000001.json") in message
    pipeline.abandon()
    assert not batch_dir(root).exists()
    # Both pages stay landed, one per line of the scope's segment, as received.
    assert sorted(p.name for p in (root / "_").iterdir()) == ["pages-000001.json"]
    assert list(landed_page_bodies(root)) == [b'{"results": [{"id": "1"}]}', b"<html>not json</html>"]


def test_pages_with_line_breaks_land_one_per_line_and_stage_every_record(tmp_path):
    spec = STREAMS["hubspot__deals"]
    root = stream_dir(tmp_path, "run-y", spec.system, spec.stream)
    pretty = orjson.dumps({"results": [{"id": "1"}, {"id": "2"}]}, option=orjson.OPT_INDENT_2).replace(b"\n", b"\r\n")
    pipeline = PagePipeline(spec, Lander(root))
    pipeline.land("", pretty)
    pipeline.land("", b'{"results": [{"id": "3"}]}\n')
    batches = pipeline.finish()
    bodies = list(landed_page_bodies(root))
    assert [orjson.loads(b) for b in bodies] == [orjson.loads(pretty), {"results": [{"id": "3"}]}]
    staged = duckdb.sql(f"select _pk, _page, _idx from read_parquet({[str(b) for b in batches]}) order by _pk").fetchall()
    assert staged == [("1", 1, 1), ("2", 1, 2), ("3", 2, 1)]


def test_a_full_re_pull_of_many_batches_merges_into_existing_tables_exactly(tiny_config, clean_tiny_tables, monkeypatch):
    """A load of many staged batches into non-empty tables: missing rows come back, stale ones are
    replaced, the rest are left alone, and the counts say exactly that."""
    for name in STREAMS:
        ingest_stream(name, tiny_config, "first")
    with duckdb.connect(str(tiny_config.warehouse_path)) as con:
        gone = con.execute("delete from raw.hubspot__contacts where _pk in "
                           "(select _pk from raw.hubspot__contacts order by _pk limit 5)").fetchone()[0]
        stale = con.execute("update raw.hubspot__contacts set _record = '{\"stale\": true}', _cursor = '' where _pk in "
                            "(select _pk from raw.hubspot__contacts order by _pk desc limit 7)").fetchone()[0]
        con.execute("delete from raw._cursors")  # the next run re-pulls every stream whole
    monkeypatch.setattr(batches, "BATCH_BYTES", 1)  # every page its own batch: many merges
    reports = {name: ingest_stream(name, tiny_config, "again") for name in STREAMS}
    contacts = reports["hubspot__contacts"]
    assert contacts.pages > 1 and (contacts.inserted, contacts.updated) == (gone, stale) == (5, 7)
    assert all(r.inserted == r.updated == 0 for name, r in reports.items() if name != "hubspot__contacts")
    assert {name: raw_rows(tiny_config, name) for name in STREAMS} == clean_tiny_tables


def test_pages_fetched_per_key_land_in_one_segment_with_their_keys_beside_it(tmp_path):
    """Tracking: one request per label and the body does not name it; the label id is landed on the
    same line of the keys file beside the segment, and the staged `_pk` comes from there."""
    spec = STREAMS["shipstation__tracking"]
    root = stream_dir(tmp_path, "run-k", spec.system, spec.stream)
    pipeline = PagePipeline(spec, Lander(root))
    pipeline.land("", b'{"status_code": "DE", "actual_delivery_date": "2026-01-02T00:00:00Z"}', key="se-2")
    pipeline.land("", b'{"status_code": "DE", "actual_delivery_date": "not a date"}', key="se-1")
    with pytest.raises(ValueError):
        pipeline.land("", b"{}", key="se-3\nse-4")
    batches = pipeline.finish()
    assert sorted(p.name for p in (root / "_").iterdir()) == ["pages-000001.json", "pages-000001.keys"]
    assert (root / "_" / "pages-000001.keys").read_bytes() == b"se-2\nse-1\n"
    staged = duckdb.sql(
        f"select _pk, _scope, _cursor, _reason, _page from read_parquet({[str(b) for b in batches]}) order by _page"
    ).fetchall()
    assert staged == [
        ("se-2", "", "2026-01-02T00:00:00Z", None, 1),
        ("se-1", "", "not a date", "unparseable date at actual_delivery_date: not a date", 2),
    ]
