"""The publish mechanics on a small hand-made warehouse: swap under a reader, stale staging, Parquet.

No Dagster, no dbt: these pin the file-level behaviour the end-to-end serving tests rely on.
"""

import hashlib
import hmac
import json
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest
from pydantic import SecretStr

from pipelines.privacy.pseudonyms import pseudonym_key
from pipelines.publish.atomic import remove_stale_staging, staging_path, write_atomically
from pipelines.publish.marts_file import CLOCK_MODEL, Relation, publish_marts, read_snapshot
from pipelines.publish.parquet import export_parquet
from pipelines.publish.policy import PublishPolicy, TableDocs
from serving_helpers import wait_for_child

RELATIONS = [Relation("main", "mart_a"), Relation("main", "mart_b")]
# No dbt here: the hand-made marts have no docs or markings, and the key is fixed.
POLICY = PublishPolicy(key=b"k" * 32)


def make_warehouse(path: Path, rows: int) -> Path:
    """A warehouse with two mart tables of `rows` rows each."""
    with duckdb.connect(str(path)) as con:
        con.execute("create or replace table main.mart_a as select range as id from range(?)", [rows])
        con.execute("create or replace table main.mart_b as select range as id, 'x' as label from range(?)", [rows])
    return path


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_publish_records_the_snapshot(tmp_path: Path) -> None:
    marts = tmp_path / "out" / "marts.duckdb"
    snapshot = publish_marts(make_warehouse(tmp_path / "wh.duckdb", 3), marts, RELATIONS, "run-1", "EUR", policy=POLICY)
    assert snapshot.row_counts == {"mart_a": 3, "mart_b": 3}
    assert read_snapshot(marts) == snapshot
    assert sorted(path.name for path in marts.parent.iterdir()) == ["marts.duckdb"]
    assert not (marts.stat().st_mode & 0o222), "the published file must be read-only on disk"


def test_publish_records_the_clock_of_the_build(tmp_path: Path) -> None:
    """`_published.as_of` is the dbt build's clock (its clock model), or the day given; empty without either."""
    warehouse = make_warehouse(tmp_path / "wh.duckdb", 2)
    assert publish_marts(warehouse, tmp_path / "none.duckdb", RELATIONS, "run-1", "EUR", policy=POLICY).as_of is None
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            f"create table main.{CLOCK_MODEL} as select * from (values (date '2026-08-01', date '2026-09-15'), "
            "(date '2026-09-01', date '2026-09-15')) as t(report_month, as_of_date)"
        )
    marts = tmp_path / "clock.duckdb"
    assert publish_marts(warehouse, marts, RELATIONS, "run-2", "EUR", policy=POLICY).as_of == date(2026, 9, 15)
    assert read_snapshot(marts).as_of == date(2026, 9, 15)
    given = publish_marts(
        warehouse, tmp_path / "given.duckdb", RELATIONS, "run-3", "EUR", policy=POLICY, as_of=date(2026, 9, 1)
    )
    assert read_snapshot(tmp_path / "given.duckdb") == given and given.as_of == date(2026, 9, 1)


def test_reader_holding_the_old_file_keeps_its_snapshot_across_a_swap(tmp_path: Path) -> None:
    warehouse, marts = tmp_path / "wh.duckdb", tmp_path / "marts.duckdb"
    publish_marts(make_warehouse(warehouse, 3), marts, RELATIONS, "run-1", "EUR", policy=POLICY)
    with duckdb.connect(str(marts), read_only=True) as old_reader:
        publish_marts(make_warehouse(warehouse, 5), marts, RELATIONS, "run-2", "EUR", policy=POLICY)
        assert old_reader.execute("select distinct run_id from _published").fetchall() == [("run-1",)]
        assert old_reader.execute("select count(*) from mart_a").fetchone()[0] == 3
    assert read_snapshot(marts).run_id == "run-2"
    assert read_snapshot(marts).row_counts["mart_a"] == 5


def test_a_wal_left_by_a_read_write_reader_does_not_survive_the_next_publish(tmp_path: Path) -> None:
    warehouse, marts = tmp_path / "wh.duckdb", tmp_path / "marts.duckdb"
    publish_marts(make_warehouse(warehouse, 3), marts, RELATIONS, "run-1", "EUR", policy=POLICY)
    marts.with_name("marts.duckdb.wal").write_bytes(b"not this file's log")
    publish_marts(warehouse, marts, RELATIONS, "run-2", "EUR", policy=POLICY)
    assert not marts.with_name("marts.duckdb.wal").exists()
    assert read_snapshot(marts).run_id == "run-2"


def test_failed_copy_leaves_the_published_file_and_no_staging(tmp_path: Path) -> None:
    warehouse, marts = tmp_path / "wh.duckdb", tmp_path / "marts.duckdb"
    publish_marts(make_warehouse(warehouse, 3), marts, RELATIONS, "run-1", "EUR", policy=POLICY)
    before = marts.read_bytes()
    with pytest.raises(duckdb.CatalogException, match="missing"):
        publish_marts(warehouse, marts, [*RELATIONS, Relation("main", "missing")], "run-2", "EUR", policy=POLICY)
    assert marts.read_bytes() == before
    assert list(tmp_path.glob(".marts.duckdb.*")) == []


def test_staging_left_by_a_killed_publish_is_removed_and_a_live_one_kept(tmp_path: Path) -> None:
    marts = tmp_path / "marts.duckdb"
    stale = marts.with_name(f".marts.duckdb.{dead_pid()}.tmp")
    stale_wal = stale.with_name(stale.name + ".wal")
    live = marts.with_name(f".marts.duckdb.{1}.tmp")  # pid 1 always runs: another writer, mid-publish
    for path in (stale, stale_wal, live):
        path.write_bytes(b"half a database")
    assert staging_path(marts).parent == marts.parent, "staging must be beside the target for an atomic rename"

    publish_marts(make_warehouse(tmp_path / "wh.duckdb", 2), marts, RELATIONS, "run-1", "EUR", policy=POLICY)

    assert not stale.exists() and not stale_wal.exists()
    assert live.exists()
    assert remove_stale_staging(marts) == []


def test_publish_killed_before_its_swap_leaves_the_old_snapshot_and_its_staging_is_cleaned(tmp_path: Path) -> None:
    warehouse, marts, flag = tmp_path / "wh.duckdb", tmp_path / "marts.duckdb", tmp_path / "about-to-swap"
    publish_marts(make_warehouse(warehouse, 3), marts, RELATIONS, "run-1", "EUR", policy=POLICY)
    before = marts.read_bytes()
    make_warehouse(warehouse, 7)
    child = subprocess.Popen([sys.executable, str(Path(__file__).with_name("killed_publish_child.py")), str(warehouse), str(marts), str(flag)])
    try:
        wait_for_child(child, flag.exists, "its swap")
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait()
    left = [path.name for path in tmp_path.glob(".marts.duckdb.*.tmp")]
    assert left == [f".marts.duckdb.{child.pid}.tmp"], "the killed publish should leave its complete staging file"
    assert marts.read_bytes() == before

    publish_marts(warehouse, marts, RELATIONS, "run-2", "EUR", policy=POLICY)
    assert list(tmp_path.glob(".marts.duckdb.*")) == []
    assert read_snapshot(marts).row_counts["mart_a"] == 7


def test_parquet_per_table_and_dropped_tables_removed(tmp_path: Path) -> None:
    warehouse, marts, parquet = tmp_path / "wh.duckdb", tmp_path / "marts.duckdb", tmp_path / "parquet"
    publish_marts(make_warehouse(warehouse, 4), marts, RELATIONS, "run-1", "EUR", policy=POLICY)
    assert sorted(export_parquet(marts, parquet)) == ["_published", "mart_a", "mart_b"]
    publish_marts(warehouse, marts, RELATIONS[:1], "run-2", "EUR", policy=POLICY)
    export_parquet(marts, parquet)
    assert sorted(path.parent.name for path in parquet.glob("*/data.parquet")) == ["_published", "mart_a"]
    with duckdb.connect() as con:
        run_id = con.execute("select distinct run_id from read_parquet(?)", [str(parquet / "_published" / "data.parquet")])
        assert run_id.fetchall() == [("run-2",)]


def test_marts_file_is_in_the_storage_format_older_bi_drivers_read(tmp_path: Path) -> None:
    """DuckDB 1.0's format: the Metabase driver and Evidence bundle their own, older DuckDB."""
    marts = tmp_path / "marts.duckdb"
    publish_marts(make_warehouse(tmp_path / "wh.duckdb", 2), marts, RELATIONS, "run-1", "EUR", policy=POLICY)
    with duckdb.connect(str(marts), read_only=True) as con:
        (tags,) = con.execute("select tags from duckdb_databases() where database_name = 'marts'").fetchone()
    assert tags["storage_version"] == "v1.0.0+"


def test_report_files_are_written_whole_and_stale_staging_removed(tmp_path: Path) -> None:
    page = tmp_path / "report" / "index.html"
    stale = page.with_name(f".index.html.{dead_pid()}.tmp")
    stale.parent.mkdir()
    stale.write_text("<html>half")
    write_atomically(page, "<html>whole</html>")
    assert page.read_text() == "<html>whole</html>"
    assert sorted(path.name for path in page.parent.iterdir()) == ["index.html"]


def test_marked_columns_are_published_as_keyed_hashes_with_docs_and_keys(tmp_path: Path) -> None:
    """Pseudonyms are HMAC-SHA256 (Python's hmac agrees), stable across tables; comments, keys, Parquet metadata."""
    warehouse = tmp_path / "wh.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table main.people as select * from (values (1, 'ada@example.com', 'Ada O''Neil'), "
                    "(2, null, 'Ben')) t(id, email, name)")
        con.execute("create table main.orders as select 7 as order_id, 'ada@example.com' as email")
    key = b"a key of at least thirty-two bytes!"
    policy = PublishPolicy(
        key=key,
        tables={"people": TableDocs("One row per person.", {"id": "Person id.", "name": "Full name."}, ("id",))},
        personal={"people": {"email": "email", "name": "name"}, "orders": {"email": "email"}},
        in_clear=frozenset({"people.name"}),
    )
    marts = tmp_path / "marts.duckdb"
    publish_marts(warehouse, marts, [Relation("main", "people"), Relation("main", "orders")], "run-1", "EUR", policy)
    export_parquet(marts, tmp_path / "parquet")
    ada = "p_" + hmac.new(key, b"ada@example.com", hashlib.sha256).hexdigest()[:24]
    with duckdb.connect(str(marts), read_only=True) as con:
        assert con.execute("select id, email, name from people order by id").fetchall() == [
            (1, ada, "Ada O'Neil"), (2, None, "Ben")]
        assert con.execute("select email from orders").fetchall() == [(ada,)]  # joins still work
        assert con.execute("select comment from duckdb_tables() where table_name = 'people'").fetchone() == (
            "One row per person.",)
        comments = dict(con.execute("select column_name, comment from duckdb_columns() where table_name = 'people'").fetchall())
        (keys,) = con.execute("select constraint_column_names from duckdb_constraints() "
                              "where table_name = 'people' and constraint_type = 'PRIMARY KEY'").fetchone()
        metadata = dict(con.execute("select decode(key), decode(value) from parquet_kv_metadata(?)",
                                    [str(tmp_path / "parquet" / "people" / "data.parquet")]).fetchall())
    assert comments["name"] == "Full name." and comments["email"].startswith("Pseudonym (keyed hash")
    assert keys == ["id"]
    assert metadata["description"] == "One row per person."
    assert json.loads(metadata["column_descriptions"]) == comments | {"id": "Person id."}


def test_publishing_in_clear_a_column_nobody_marked_is_refused() -> None:
    policy = PublishPolicy(key=b"k" * 32, personal={"people": {"email": "email"}}, in_clear=frozenset({"people.emial"}))
    with pytest.raises(ValueError, match=r"HUB_PUBLISH_IN_CLEAR names people\.emial.*use some of: people\.email"):
        policy.check()


def test_the_generated_pseudonym_key_is_made_once_private_and_kept(tmp_path: Path) -> None:
    first = pseudonym_key(None, tmp_path)
    assert pseudonym_key(None, tmp_path) == first and len(first) >= 32
    assert (tmp_path / "privacy" / "pseudonym.key").stat().st_mode & 0o777 == 0o600
    assert pseudonym_key(SecretStr("x" * 32), tmp_path) == b"x" * 32
