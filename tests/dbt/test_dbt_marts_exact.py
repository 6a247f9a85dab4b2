"""The whole path against the sandbox's independent ground truth, to the cent.

sandbox (real HTTP on loopback) -> every connector stream -> raw tables -> dbt build ->
mart_sales_vs_fulfilment, compared figure by figure with `compute_truth` (CONTRACTS.md §5).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dbt_harness import (
    differences, dbt, ingest_everything, mart_rows, sandbox_connector_env, truth_rows,
)
from sandbox.server import running_sandbox
from sandbox.truth import compute_truth

CASES = [
    pytest.param(3, "tiny", date(2026, 11, 1), id="seed3-tiny-month-start"),
    pytest.param(11, "tiny", date(2026, 6, 17), id="seed11-tiny-mid-month"),
    pytest.param(29, "tiny", date(2026, 3, 2), id="seed29-tiny-second-of-month"),
    pytest.param(5, "small", date(2026, 9, 15), id="seed5-small", marks=pytest.mark.slow),
]


@pytest.fixture(scope="session")
def world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Worlds generated once per session, shared by every case."""
    return tmp_path_factory.mktemp("dbt-worlds")


@pytest.mark.parametrize(("seed", "scale", "as_of"), CASES)
def test_mart_equals_ground_truth(seed: int, scale: str, as_of: date, world_dir: Path,
                                  tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with running_sandbox(seed=seed, scale=scale, as_of=as_of, data_dir=world_dir) as sandbox:
        env = sandbox_connector_env(sandbox.url, tmp_path, as_of)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        ingest_everything(env, run_id=f"exact-{seed}-{scale}")
    dbt(["build", "--vars", f"{{as_of: '{as_of.isoformat()}'}}"], tmp_path)

    got = mart_rows(tmp_path / "warehouse.duckdb")
    want = truth_rows(compute_truth(seed, scale, as_of))
    assert want, "the truth has no rows: the comparison would prove nothing"
    assert differences(got, want) == []


def test_mart_in_another_reporting_currency_equals_ground_truth(world_dir: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """EUR first, then USD on the same warehouse: the incremental spend fact converts every row again."""
    seed, scale, as_of = 17, "tiny", date(2026, 7, 1)
    with running_sandbox(seed=seed, scale=scale, as_of=as_of, data_dir=world_dir) as sandbox:
        env = sandbox_connector_env(sandbox.url, tmp_path, as_of)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        ingest_everything(env, run_id=f"currency-{seed}")
    for currency in ("EUR", "USD"):
        dbt(["build", "--vars", f"{{as_of: '{as_of.isoformat()}', reporting_currency: {currency}}}"],
            tmp_path)
        want = truth_rows(compute_truth(seed, scale, as_of, currency=currency))
        assert differences(mart_rows(tmp_path / "warehouse.duckdb"), want) == [], currency
