"""What the publish step leaves for BI: the marts file, its `_published` record, Parquet, metadata."""

import stat

import duckdb
import pytest

from pipelines.publish.marts_file import read_snapshot
from serving_helpers import AS_OF, ServedNight, materialization_metadata

pytestmark = pytest.mark.slow  # one served night of the small world (conftest.py), shared by the module


def test_published_snapshot_names_the_run_and_counts_every_table(served: ServedNight) -> None:
    snapshot = read_snapshot(served.marts_file)
    assert snapshot.run_id == served.republished.run_id
    assert snapshot.reporting_currency == "EUR"
    with duckdb.connect(str(served.marts_file), read_only=True) as con:
        tables = {name for (name,) in con.execute("select table_name from information_schema.tables").fetchall()}
        actual = {table: con.execute(f'select count(*) from "{table}"').fetchone()[0] for table in snapshot.row_counts}
    assert tables == set(snapshot.row_counts) | {"_published"}
    assert actual == snapshot.row_counts
    assert snapshot.row_counts["mart_sales_vs_fulfilment"] > 0
    # the quarantine list is published with the marts (no personal data: test_serving_privacy scans it)
    assert "dq_quarantined_values" in snapshot.row_counts
    # the dbt build's clock: the sandbox's as-of day, which the data ends the day before
    assert snapshot.as_of == AS_OF


def test_marts_file_is_read_only_on_disk_and_no_staging_is_left(served: ServedNight) -> None:
    mode = stat.S_IMODE(served.marts_file.stat().st_mode)
    assert mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) == 0, oct(mode)
    leftovers = [path.name for path in served.data_dir.rglob(".*.tmp*")]
    assert leftovers == []


def test_asset_metadata_shows_path_counts_preview_and_report(served: ServedNight) -> None:
    metadata = materialization_metadata(served.republished, "published_marts")
    snapshot = read_snapshot(served.marts_file)
    assert metadata["path"].value == str(served.marts_file)
    assert metadata["row_counts"].value == snapshot.row_counts
    assert metadata["snapshot_run_id"].value == served.republished.run_id
    assert metadata["as_of"].value == snapshot.as_of.isoformat()
    preview = metadata["preview"].value
    assert preview.startswith("| month | channel | booked_value |")
    assert len(preview.splitlines()) > 2, "the preview has no rows"
    report = served.data_dir / "report" / "index.html"
    assert metadata["report"].value == report.as_uri()
    assert metadata["report_path"].value == str(report)
    assert report.exists()


def test_parquet_holds_the_same_snapshot_as_the_marts_file(served: ServedNight) -> None:
    snapshot = read_snapshot(served.marts_file)
    parquet_dir = served.data_dir / "parquet"
    assert {path.parent.name for path in parquet_dir.glob("*/data.parquet")} == set(snapshot.row_counts) | {"_published"}
    with duckdb.connect() as con:
        counts = {
            table: con.execute("select count(*) from read_parquet(?)", [str(parquet_dir / table / "data.parquet")]).fetchone()[0]
            for table in snapshot.row_counts
        }
        (parquet_run_id,) = con.execute(
            "select distinct run_id from read_parquet(?)", [str(parquet_dir / "_published" / "data.parquet")]
        ).fetchone()
        parquet_booked = con.execute(
            "select sum(booked_value) from read_parquet(?)",
            [str(parquet_dir / "mart_sales_vs_fulfilment" / "data.parquet")],
        ).fetchone()[0]
    with duckdb.connect(str(served.marts_file), read_only=True) as con:
        marts_booked = con.execute("select sum(booked_value) from mart_sales_vs_fulfilment").fetchone()[0]
    assert counts == snapshot.row_counts
    assert parquet_run_id == snapshot.run_id
    assert parquet_booked == marts_booked
