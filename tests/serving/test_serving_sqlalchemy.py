"""SQLAlchemy with duckdb-engine reads the published marts as Superset does (docs/BI.md)."""

import json

import pytest
import sqlalchemy as sa

from pipelines.publish.marts_file import read_snapshot
from pipelines.publish.policy import table_docs
from pipelines.transform.project import dbt_project
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


def test_the_inspector_a_bi_tool_uses_works_on_every_published_table(served: ServedNight) -> None:
    """What Superset calls when a mart is added as a dataset, through `duckdb+hub://` (docs/BI.md)."""
    docs = table_docs(json.loads(dbt_project.manifest_path.read_text()))
    published = set(read_snapshot(served.marts_file).row_counts) | {"_published"}
    engine = sa.create_engine(f"duckdb+hub:///{served.marts_file}", connect_args={"read_only": True})
    try:
        inspector = sa.inspect(engine)
        (schema,) = [name for name in inspector.get_schema_names() if name.endswith(".main") and "marts" in name]
        assert set(inspector.get_table_names(schema=schema)) == set(inspector.get_table_names()) == published
        assert inspector.get_view_names() == []
        for table in sorted(published):
            columns = inspector.get_columns(table)
            key = inspector.get_pk_constraint(table)["constrained_columns"]
            comment = inspector.get_table_comment(table)["text"]
            assert inspector.get_foreign_keys(table) == [] and inspector.get_unique_constraints(table) == []
            if table == "_published":
                assert key == ["table_name"] and comment
                continue
            assert comment == docs[table].description, table
            assert tuple(key) == docs[table].primary_key, table
            described = {column["name"]: column["comment"] for column in columns}
            for name, description in docs[table].columns.items():
                if name in described:
                    assert description in (described[name] or ""), f"{table}.{name} lost its description"
            assert all(not isinstance(column["type"], sa.types.NullType) for column in columns), table
        reflected = sa.Table("mart_sales_vs_fulfilment", sa.MetaData(), autoload_with=engine)
        with engine.connect() as connection:
            rows = connection.execute(sa.select(sa.func.count()).select_from(reflected)).scalar_one()
    finally:
        engine.dispose()
    assert rows == read_snapshot(served.marts_file).row_counts["mart_sales_vs_fulfilment"]
    assert "mart_sales_vs_fulfilment" in docs and docs["dim_customer"].primary_key == ("customer_id",)
