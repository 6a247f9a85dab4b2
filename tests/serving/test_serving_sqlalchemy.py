"""SQLAlchemy with duckdb-engine reads the published marts as Superset does (docs/BI.md)."""

import pytest
import sqlalchemy as sa

from pipelines.publish.marts_file import read_snapshot
from serving_helpers import ServedNight

pytestmark = pytest.mark.slow  # one served night of the small world (conftest.py), shared by the module


def test_sqlalchemy_reads_the_marts_read_only(served: ServedNight) -> None:
    engine = sa.create_engine(f"duckdb:///{served.marts_file}", connect_args={"read_only": True})
    try:
        tables = set(sa.inspect(engine).get_table_names())
        with engine.connect() as connection:
            by_channel = connection.execute(
                sa.text(
                    "select channel, sum(booked_value) as booked from mart_sales_vs_fulfilment "
                    "group by channel order by channel"
                )
            ).all()
            total = connection.execute(sa.text("select sum(booked_value) from fct_contract_lines")).scalar_one()
            (run_id,) = connection.execute(sa.text("select distinct run_id from _published")).one()
    finally:
        engine.dispose()
    assert tables == set(read_snapshot(served.marts_file).row_counts) | {"_published"}
    assert {channel for channel, _ in by_channel} >= {"meta", "google_ads"}
    assert sum(booked for _, booked in by_channel) == total
    assert run_id == served.republished.run_id
