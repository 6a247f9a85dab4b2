"""The whole path against the sandbox's independent ground truth, to the cent.

sandbox (real HTTP on loopback) -> every connector stream -> raw tables -> dbt build ->
mart_sales_vs_fulfilment, compared figure by figure with `compute_truth` (CONTRACTS.md §5); the
on-time rates' numerators and denominator are recounted from the truth's own functions too.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from support.dbt_harness import (
    differences, dbt, ingest_everything, mart_rows, sandbox_connector_env, truth_rows,
)
from sandbox.server import running_sandbox
from sandbox.truth import ON_TIME, compute_truth

CASES = [
    pytest.param(3, "tiny", date(2026, 11, 1), ("EUR",), id="seed3-tiny-month-start"),
    # EUR then USD on one warehouse: the incremental spend fact must convert every row again
    pytest.param(11, "tiny", date(2026, 6, 17), ("EUR", "USD"), id="seed11-tiny-mid-month-eur-usd"),
    pytest.param(29, "tiny", date(2026, 3, 2), ("EUR",), id="seed29-tiny-second-of-month"),
    pytest.param(5, "small", date(2026, 9, 15), ("EUR",), id="seed5-small", marks=pytest.mark.slow),
]
# Data and unit tests run in the fixture and portability tests; here only the figures matter.
BUILD = ["build", "--exclude", "test_type:data", "test_type:unit"]


@pytest.fixture(scope="session")
def world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Worlds generated once per session, shared by every case."""
    return tmp_path_factory.mktemp("dbt-worlds")


@pytest.mark.parametrize(("seed", "scale", "as_of", "currencies"), CASES)
def test_mart_equals_ground_truth(seed: int, scale: str, as_of: date, currencies: tuple[str, ...],
                                  world_dir: Path, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    with running_sandbox(seed=seed, scale=scale, as_of=as_of, data_dir=world_dir) as sandbox:
        env = sandbox_connector_env(sandbox.url, tmp_path, as_of)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        ingest_everything(env, run_id=f"exact-{seed}-{scale}")
    for currency in currencies:
        dbt([*BUILD, "--vars", f"{{as_of: '{as_of.isoformat()}', reporting_currency: {currency}}}"],
            tmp_path)
        want = truth_rows(compute_truth(seed, scale, as_of, currency=currency))
        assert want, "the truth has no rows: the comparison would prove nothing"
        assert differences(mart_rows(tmp_path / "warehouse.duckdb"), want) == [], currency
    # timeliness has no currency: the last build's on-time counts and rates against the recount
    recount = truth_rows(compute_truth(seed, scale, as_of, figures=ON_TIME))
    assert sum(row["contracts_due"] for row in recount.values()), "no contract is due: nothing is proven"
    assert differences(on_time_rows(tmp_path / "warehouse.duckdb"), recount) == []


def on_time_rows(warehouse: Path) -> dict[tuple[str, str], dict]:
    """The on-time columns of mart_sales_vs_fulfilment keyed like `truth_rows`, each rate checked
    against its own numerator and denominator (BI re-totals by summing those)."""
    with duckdb.connect(str(warehouse)) as con:
        rows = con.execute(f"""
            select strftime(month, '%Y-%m'), channel, {', '.join(ON_TIME)},
                shipped_on_time_rate, delivered_on_time_rate
            from mart_sales_vs_fulfilment where contracts_due > 0
        """).fetchall()
    out = {}
    for month, channel, due, shipped, delivered, shipped_rate, delivered_rate in rows:
        assert (shipped_rate, delivered_rate) == (shipped / due, delivered / due), (month, channel)
        out[(month, channel)] = dict(zip(ON_TIME, (due, shipped, delivered)))
    return out
