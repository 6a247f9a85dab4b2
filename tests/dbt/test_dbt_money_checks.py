"""The money checks can fail: amounts without an FX rate, or marts that sum to zero over real amounts.

Real ingest of the tiny world, real dbt builds, then `reconciliation_rows` as the blocking check
`totals_reconcile_with_facts` reads them. A currency whose rates are missing (what
`HUB_ECB_CURRENCIES=XXX` did) and a reporting currency the ECB does not quote must each fail,
naming the measure; the clean build must pass.
"""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.checks.marts import Reconciliation, reconciliation_rows
from sandbox.server import running_sandbox
from support.dbt_harness import dbt, ingest_everything, sandbox_connector_env

AS_OF = date(2026, 8, 1)
BUILD = ["build", "--exclude", "test_type:unit", "test_type:data"]


@pytest.fixture(scope="module")
def raw_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse file holding the tiny world's raw tables, ingested once for the module."""
    data_dir = tmp_path_factory.mktemp("money-raw")
    with running_sandbox(seed=13, scale="tiny", as_of=AS_OF, data_dir=data_dir / "worlds") as sandbox:
        env = sandbox_connector_env(sandbox.url, data_dir, AS_OF)
        with pytest.MonkeyPatch.context() as patch:
            for name, value in env.items():
                patch.setenv(name, value)
            ingest_everything(env, run_id="money-checks")
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as con:
        con.execute("checkpoint")
    return data_dir / "warehouse.duckdb"


def problems(raw_warehouse: Path, tmp_path: Path, sql: str | None = None, currency: str = "EUR") -> list[str]:
    """The check's problems after a build of a copy of the raw tables, `sql` run on it first."""
    shutil.copy(raw_warehouse, tmp_path / "warehouse.duckdb")
    if sql:
        with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
            con.execute(sql)
    dbt([*BUILD, "--vars", f"{{as_of: '{AS_OF.isoformat()}', reporting_currency: {currency}}}"], tmp_path)
    # a plain connect: dbt ran in this process and DuckDB hands back its open database
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        rows = reconciliation_rows(con)
    assert any(row.input_rows for row in rows), "no fact carries an amount: the check would prove nothing"
    return [f"differs: {row.measure}" for row in rows if row.differs()] + [
        lost for row in rows if (lost := row.lost()) is not None
    ]


def test_clean_build_passes(raw_warehouse: Path, tmp_path: Path) -> None:
    assert problems(raw_warehouse, tmp_path) == []


def test_a_currency_without_rates_fails_naming_every_measure_it_reaches(raw_warehouse: Path, tmp_path: Path) -> None:
    found = problems(raw_warehouse, tmp_path, "delete from raw.ecb__rates where _pk like 'USD:%'")
    assert {p.split(":")[0] for p in found} == {"spend", "booked_value", "shipped_value", "delivered_value"}
    assert all("have no FX rate to the reporting currency" in p for p in found), found


def test_a_reporting_currency_the_ecb_does_not_quote_fails(raw_warehouse: Path, tmp_path: Path) -> None:
    found = problems(raw_warehouse, tmp_path, currency="JPY")
    assert len(found) == 4 and all("have no FX rate" in p for p in found), found


@pytest.mark.parametrize(("row", "lost"), [
    (Reconciliation("spend", None, None, 3, 0), "spend: the mart sums to None over 3 fact rows with amounts"),
    (Reconciliation("spend", Decimal(0), Decimal(0), 3, 0), "spend: the mart sums to 0 over 3 fact rows with amounts"),
    (Reconciliation("spend", Decimal(5), Decimal(5), 3, 2), "spend: 2 fact rows have no FX rate to the reporting currency"),
    (Reconciliation("spend", None, None, 0, 0), None),
    (Reconciliation("spend", Decimal(5), Decimal(5), 3, 0), None),
])
def test_lost_money_is_named(row: Reconciliation, lost: str | None) -> None:
    assert row.lost() == lost
