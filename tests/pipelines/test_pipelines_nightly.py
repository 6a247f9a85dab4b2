"""The nightly job end to end through Dagster on the tiny world, against the generator's truth.

sandbox (real HTTP on loopback) -> ingest assets -> dbt assets (real dbt build) ->
published marts file; the mart's figures must equal `compute_truth`, computed in plain Python.
"""

from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dbt_harness import differences, mart_rows, truth_rows
from pipelines.sandbox_env import SYSTEM_PREFIXES, sandbox_env
from sandbox.credentials import SANDBOX_CREDENTIALS
from sandbox.server import running_sandbox
from sandbox.truth import compute_truth

SEED, SCALE, AS_OF = 4, "tiny", date(2026, 11, 1)


@pytest.fixture(scope="module")
def nightly(dbt_manifest: object, tmp_path_factory: pytest.TempPathFactory) -> tuple[dg.ExecuteInProcessResult, Path]:
    """One nightly run, shared by the assertions below."""
    data_dir = tmp_path_factory.mktemp("nightly")
    with pytest.MonkeyPatch.context() as env, running_sandbox(
        seed=SEED, scale=SCALE, as_of=AS_OF, data_dir=tmp_path_factory.mktemp("world")
    ) as sandbox:
        env.setenv("HUB_DATA_DIR", str(data_dir))
        for name, value in sandbox_env(sandbox.url, list(SYSTEM_PREFIXES)).items():
            env.setenv(name, value)
        from pipelines.definitions import build_definitions

        job = build_definitions({}).resolve_job_def("nightly")
        with dg.instance_for_test() as instance:
            result = job.execute_in_process(instance=instance, raise_on_error=False)
    return result, data_dir


def test_nightly_run_succeeds(nightly: tuple[dg.ExecuteInProcessResult, Path]) -> None:
    result, _ = nightly
    failures = [event.step_key for event in result.all_events if event.is_step_failure]
    assert result.success, f"failed steps: {failures}"


def test_published_marts_equal_ground_truth(nightly: tuple[dg.ExecuteInProcessResult, Path]) -> None:
    _, data_dir = nightly
    got = mart_rows(data_dir / "marts.duckdb")
    want = truth_rows(compute_truth(SEED, SCALE, AS_OF))
    assert want, "the truth has no rows: the comparison would prove nothing"
    assert differences(got, want) == []


def test_published_marts_are_readable_while_the_warehouse_is_locked(
    nightly: tuple[dg.ExecuteInProcessResult, Path],
) -> None:
    """BI reads its own file: a writer holding the warehouse does not stop it."""
    _, data_dir = nightly
    with duckdb.connect(str(data_dir / "warehouse.duckdb")):
        with duckdb.connect(str(data_dir / "marts.duckdb"), read_only=True) as bi:
            assert bi.execute("select count(*) from mart_sales_vs_fulfilment").fetchone()[0] > 0


def test_ingest_metadata_reports_counts_and_no_secret(nightly: tuple[dg.ExecuteInProcessResult, Path]) -> None:
    result, _ = nightly
    materializations = {
        event.asset_key.to_user_string(): event.step_materialization_data.materialization.metadata
        for event in result.all_events
        if event.is_step_materialization
    }
    contacts = materializations["hubspot/contacts"]
    assert contacts["records"].value > 0
    secrets = [value for creds in SANDBOX_CREDENTIALS.values() for value in creds.values()]
    leaked = [s for s in secrets for metadata in materializations.values() if s in str(metadata)]
    assert leaked == []
