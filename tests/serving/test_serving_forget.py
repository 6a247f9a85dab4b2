"""`forget --email`: one person deleted from landing, raw, marts and the published files, end to end.

Works on a copy of the served night's data dir (conftest.py), so the other serving tests keep
theirs: forget a private signer (a customer known only by their DocuSign email), then run the
next nightly against the same sandbox world. The person is in no table, landed page or published
file; every figure that does not depend on them is as before.
"""

import shutil
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.privacy.forget import forget_person
from pipelines.privacy.rebuild_marts import rebuild_and_publish
from serving_helpers import ServedNight, nightly_job, text_hits

pytestmark = pytest.mark.slow  # a forget (dbt build) and one incremental nightly of the small world (~2 min)

FIGURES = "month, channel, spend, leads, deals, booked_value, shipped_value"


def person_to_forget(warehouse: Path) -> tuple[str, str, dict[tuple, tuple]]:
    """A private signer's email, the ship-to name on their shipments, and the (booked, shipped) value by month x
    channel of every contract they signed."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        email, customer_id = con.execute(
            "select signer_email, customer_id from main.dim_customer where customer_id = 'docusign:' || signer_email "
            "and contracts_shipped > 0 order by customer_id limit 1"
        ).fetchone()
        (ship_to,) = con.execute(
            "select distinct s.ship_to_name from main.fct_shipments s join main.fct_contracts c "
            "on s.external_order_id = c.contract_number where c.customer_id = ?", [customer_id]
        ).fetchone()
        # Every contract they signed goes (for their own name or a company's), with its shipments.
        theirs = con.execute(
            "with signed as (select distinct e.contract_number from main.stg_docusign__signers s "
            "join main.stg_docusign__envelopes e using (envelope_id) where s.email = ?) "
            "select month, channel, sum(booked), sum(shipped) from ("
            "select date_trunc('month', signed_date)::date as month, channel, booked_value as booked, 0 as shipped "
            "from main.fct_contract_lines where contract_number in (from signed) union all "
            "select ship_month, channel, 0, shipped_value from main.fct_shipment_lines where contract_number in (from signed)"
            ") group by all", [email]
        ).fetchall()
    return email, ship_to, {(month, channel): (booked, shipped) for month, channel, booked, shipped in theirs}


def figures(marts_file: Path) -> dict[tuple, tuple]:
    with duckdb.connect(str(marts_file), read_only=True) as con:
        rows = con.execute(f"select {FIGURES} from mart_sales_vs_fulfilment").fetchall()
    return {(month, channel): tuple(rest) for month, channel, *rest in rows}


def cells_holding(database: Path, text: str) -> list[str]:
    """Every schema.table.column of a DuckDB file with a value holding `text`, ignoring case."""
    with duckdb.connect(str(database), read_only=True) as con:
        return [f"{schema}.{table}.{column}" for schema, table, column, _ in
                text_hits(con, "contains(lower({column}), ?)", [text.lower()])]


def files_holding(folder: Path, text: str) -> list[str]:
    return [str(path) for path in folder.rglob("*") if path.is_file() and text.lower().encode() in path.read_bytes().lower()]


def test_forget_deletes_a_person_everywhere_and_the_next_night_keeps_them_out(
    served: ServedNight, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path_factory.mktemp("forget") / "data"
    shutil.copytree(served.data_dir, data_dir, ignore=shutil.ignore_patterns("dagster_home", "*.lock"))
    email, ship_to, theirs = person_to_forget(data_dir / "warehouse.duckdb")
    assert files_holding(data_dir / "landing", email) and cells_holding(data_dir / "warehouse.duckdb", email)
    before = figures(data_dir / "marts.duckdb")

    monkeypatch.setenv("HUB_DATA_DIR", str(data_dir))
    report = forget_person(email.upper(), data_dir, None, lambda run_id: rebuild_and_publish(data_dir, run_id))
    assert report.landing["docusign__envelopes"] >= 1 and report.raw["shipstation__shipments"] >= 1
    with nightly_job(data_dir, tmp_path_factory) as job, dg.instance_for_test() as instance:
        assert job.execute_in_process(instance=instance, raise_on_error=False).success

    for text in (email, ship_to):
        assert files_holding(data_dir / "landing", text) == [], f"{text} is still in landed pages"
        assert cells_holding(data_dir / "warehouse.duckdb", text) == [], f"{text} is still in the warehouse"
        assert cells_holding(data_dir / "marts.duckdb", text) == [], f"{text} is still published"
        assert files_holding(data_dir / "parquet", text) == [], f"{text} is still in the Parquet files"
    after = figures(data_dir / "marts.duckdb")
    zero = (Decimal(0),) * 5
    for key in before.keys() | after.keys():
        was, now = before.get(key, zero), after.get(key, zero)
        booked, shipped = theirs.get(key, (Decimal(0), Decimal(0)))
        assert now == (was[0], was[1], was[2], was[3] - booked, was[4] - shipped), (
            f"{key}: figures other than the person's booked and shipped value changed: {was} -> {now}"
        )
