"""The money checks can fail: amounts without an FX rate, or marts that sum to zero over real amounts.

Real ingest of the tiny world, real dbt builds, then the blocking dbt test `totals_reconcile_with_facts`
(the rule's one home) and the failing rows it stores. A currency whose rates are missing (what
`HUB_ECB_CURRENCIES=XXX` did) and a reporting currency the ECB does not quote must each fail,
naming the measure; the clean build must pass.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from sandbox.server import running_sandbox
from support.dbt_harness import dbt, ingest_everything, invoke_dbt, sandbox_connector_env

AS_OF = date(2026, 8, 1)
BUILD = ["build", "--exclude", "test_type:unit", "test_type:data"]
CHECK = "totals_reconcile_with_facts"


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


def problems(raw_warehouse: Path, tmp_path: Path, sql: str | None = None, currency: str = "EUR",
             after_build: str | None = None) -> list[str]:
    """`measure: problem` for each row the dbt test stores after a build of a copy of the raw tables,
    `sql` run on it first and `after_build` on the built tables."""
    shutil.copy(raw_warehouse, tmp_path / "warehouse.duckdb")
    if sql:
        with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
            con.execute(sql)
    dbt_vars = ["--vars", f"{{as_of: '{AS_OF.isoformat()}', reporting_currency: {currency}}}"]
    dbt([*BUILD, *dbt_vars], tmp_path)
    if after_build:
        with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
            con.execute(after_build)
    tested = invoke_dbt(["test", "--select", CHECK, "--store-failures", *dbt_vars], tmp_path)
    assert tested.result is not None, tested.exception
    (verdict,) = [str(r.status) for r in tested.result.results if r.node.name == CHECK]  # beside the on-run hooks
    # a plain connect: dbt ran in this process and DuckDB hands back its open database
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        (inputs,) = con.execute("select sum(input_rows) from dq_totals_reconciliation").fetchone()
        rows = con.execute(f"select distinct measure, problem from main_dbt_test__audit.{CHECK}").fetchall()
    assert inputs, "no fact carries an amount: the check would prove nothing"
    assert verdict == ("pass" if not rows else "fail"), (verdict, rows)
    return sorted(f"{measure}: {problem}" for measure, problem in rows)


def test_clean_build_passes(raw_warehouse: Path, tmp_path: Path) -> None:
    assert problems(raw_warehouse, tmp_path) == []


def test_a_currency_without_rates_fails_naming_every_measure_it_reaches(raw_warehouse: Path, tmp_path: Path) -> None:
    found = problems(raw_warehouse, tmp_path, "delete from raw.ecb__rates where _pk like 'USD:%'")
    assert {p.split(":")[0] for p in found} == {"spend", "booked_value", "shipped_value", "delivered_value"}
    assert all("without an FX rate to the reporting currency" in p or "sums to zero" in p for p in found), found
    assert any("without an FX rate" in p for p in found), found


def test_a_reporting_currency_the_ecb_does_not_quote_fails(raw_warehouse: Path, tmp_path: Path) -> None:
    found = problems(raw_warehouse, tmp_path, currency="JPY")
    assert {p.split(":")[0] for p in found} == {"spend", "booked_value", "shipped_value", "delivered_value"}, found
    assert any("without an FX rate" in p for p in found), found


def test_a_mart_summing_to_zero_over_amounts_fails(raw_warehouse: Path, tmp_path: Path) -> None:
    """Money lost in conversion (what a rate of zero would do): mart and facts agree at zero over fact
    rows that carry amounts, and the test still fails, naming the measure."""
    found = problems(raw_warehouse, tmp_path, after_build="update fct_ad_spend set spend_reporting = 0; "
                     "update mart_sales_vs_fulfilment set spend = 0")
    assert found == ["spend: the mart sums to zero over fact rows with amounts"], found
