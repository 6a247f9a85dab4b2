"""The load's merge into raw tables: exact at a volume where a key index would not fit its memory cap."""

from __future__ import annotations

from pathlib import Path

import duckdb
from connector_helpers import raw_rows

from connectors import warehouse
from connectors.ingest import ingest_stream
from connectors.loading import load_pages
from connectors.streams import STREAMS

# Above what a primary-key index lets a first load add at the load's 64 MB: about 1M keys failed.
MANY = 1_200_000


def _stage(path: Path, version: str, changed_every: int = 0) -> Path:
    """A staged batch (batches.batch_sql's columns) of MANY contacts; every `changed_every`-th one
    carries a newer cursor and a different record."""
    changed = f"i % {changed_every} = 0" if changed_every else "false"
    duckdb.execute(
        f"copy (select 'c' || i as _pk, '' as _scope, "
        f"case when {changed} then '2026-02' else '2026-01' end as _cursor, "
        f"json_object('id', 'c' || i, 'version', case when {changed} then '{version}' else 'v1' end) as _record, "
        f"null::varchar as _reason, 'f' as _file, 1::bigint as _page, i::bigint as _idx "
        f"from range({MANY}) r(i)) to '{path}' (format parquet)"
    )
    return path


def test_loads_of_over_a_million_records_stay_within_the_load_memory_cap_and_merge_exactly(tmp_path):
    spec = STREAMS["hubspot__contacts"]
    db = tmp_path / "warehouse.duckdb"
    first = _stage(tmp_path / "first.parquet", "v1")
    with warehouse.connect(db) as con:
        con.begin()
        counts = load_pages(con, spec, [first], "run-1", None, None)
        con.commit()
    assert (counts.records, counts.inserted, counts.updated) == (MANY, MANY, 0)

    again = _stage(tmp_path / "again.parquet", "v2", changed_every=1000)
    with warehouse.connect(db) as con:
        con.begin()
        counts = load_pages(con, spec, [again], "run-2", None, None)
        con.commit()
    assert (counts.inserted, counts.updated, counts.unchanged) == (0, MANY // 1000, MANY - MANY // 1000)
    with duckdb.connect(str(db), read_only=True) as con:  # DuckDB's own memory, not the load's cap
        rows, keys, newest = con.execute(
            "select count(*), count(distinct _pk), count(*) filter (where _record->>'version' = 'v2' "
            "and _run_id = 'run-2' and _cursor = '2026-02') from raw.hubspot__contacts"
        ).fetchone()
    assert (rows, keys, newest) == (MANY, MANY, MANY // 1000)


def test_a_raw_table_made_with_a_primary_key_is_rebuilt_without_it_and_loads_the_same(tiny_config, clean_tiny_tables):
    """Warehouses made before the key was dropped: the next load rebuilds the table, rows kept."""
    name = "hubspot__contacts"
    ingest_stream(name, tiny_config, "first")
    with duckdb.connect(str(tiny_config.warehouse_path)) as con:
        con.execute(f"create table raw.keyed as select * from raw.{name}")
        con.execute(f"drop table raw.{name}")
        con.execute(f"create table raw.{name} (_pk varchar primary key, _scope varchar, _cursor varchar, "
                    f"_record json, _run_id varchar, _loaded_at timestamp)")
        con.execute(f"insert into raw.{name} select * from raw.keyed where _pk not in "
                    f"(select _pk from raw.keyed order by _pk limit 3)")
        con.execute("drop table raw.keyed; delete from raw._cursors")
    report = ingest_stream(name, tiny_config, "again")
    assert (report.inserted, report.updated) == (3, 0)
    with duckdb.connect(str(tiny_config.warehouse_path), read_only=True) as con:
        keys = con.execute("select count(*) from duckdb_constraints() where table_name = ?", [name]).fetchone()[0]
    assert keys == 0
    assert raw_rows(tiny_config, name) == clean_tiny_tables[name]
