"""warehouse.query_rows: a query's rows kept in a file, read back one at a time."""

from __future__ import annotations

from pathlib import Path

import duckdb

from connectors import warehouse


def test_rows_read_back_exactly_as_often_as_asked_and_the_file_goes_away(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    keys = ["plain", "with, comma", 'with "quotes"', "with\nline break", "ünïcödé"]
    with duckdb.connect(str(db)) as con:
        con.execute("create table t (k varchar, n integer)")
        con.executemany("insert into t values (?, ?)", [(k, i) for i, k in enumerate(keys)])
    with warehouse.query_rows(db, "select k, n from t where n >= ? order by n", [1]) as rows:
        first = list(rows)
        second = list(rows)  # a second pass reads the file again
        path = Path(rows.path)
        assert path.exists()
    assert first == second == [[k, str(i)] for i, k in enumerate(keys)][1:]
    assert not path.exists()
