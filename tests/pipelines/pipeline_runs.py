"""Reading a finished Dagster run: what it materialised and which checks it evaluated."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb

SEED, SCALE, AS_OF = 4, "tiny", date(2026, 11, 1)


@dataclass(frozen=True)
class StagedResult:
    """The nightly's runs (`nightly_ingest`, then `nightly_build`) read as one result."""

    runs: list[dg.ExecuteInProcessResult]

    @property
    def success(self) -> bool:
        """Both stages ran and succeeded (a failed ingest launches no build)."""
        return len(self.runs) == 2 and all(run.success for run in self.runs)

    @property
    def run_id(self) -> str:
        """The ingest run's id: the one the raw tables and `raw._loads` record."""
        return self.runs[0].run_id

    @property
    def all_events(self) -> list[dg.DagsterEvent]:
        return [event for run in self.runs for event in run.all_events]

    def get_asset_check_evaluations(self) -> list[dg.AssetCheckEvaluation]:
        return [evaluation for run in self.runs for evaluation in run.get_asset_check_evaluations()]


@dataclass(frozen=True)
class NightlyRun:
    """A finished nightly: its runs' result, its data folder and the environment it ran with."""

    result: StagedResult
    data_dir: Path
    env: dict[str, str]


def materializations(result: dg.ExecuteInProcessResult | StagedResult) -> dict[str, dict[str, dg.MetadataValue]]:
    """Metadata of each asset the run materialised, by asset key string."""
    return {
        event.asset_key.to_user_string(): event.step_materialization_data.materialization.metadata
        for event in result.all_events
        if event.is_step_materialization
    }


def check_evaluations(result: dg.ExecuteInProcessResult | StagedResult) -> dict[str, dg.AssetCheckEvaluation]:
    """Every asset check the run evaluated, by `<asset key>:<check name>`."""
    return {
        f"{e.asset_check_key.asset_key.to_user_string()}:{e.asset_check_key.name}": e
        for e in result.get_asset_check_evaluations()
    }


def raw_state(warehouse: Path, streams: Iterable[str]) -> dict[str, list[tuple]]:
    """The streams' raw rows without the per-run columns, and every saved cursor."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        state = {
            name: con.execute(f"select _pk, _scope, _cursor, _record::varchar from raw.{name} order by _pk").fetchall()
            for name in streams
        }
        state["_cursors"] = con.execute("select stream, cursor from raw._cursors order by stream").fetchall()
    return state


# Columns that say when or by which run a row was written, not what it holds.
RUN_COLUMNS = ("_loaded_at", "_run_id")


def marts_state(marts_file: Path) -> dict[str, list[tuple]]:
    """Every published table's rows, in a stable order; `_published` and the run columns left out."""
    kept = f"columns(lambda c: c not in {RUN_COLUMNS})"
    with duckdb.connect(str(marts_file), read_only=True) as con:
        tables = [row[0] for row in con.execute("select table_name from duckdb_tables() order by 1").fetchall()]
        return {t: con.execute(f'select {kept} from "{t}" order by all').fetchall() for t in tables if t != "_published"}


def materialization_health(instance: dg.DagsterInstance, key: dg.AssetKey) -> str:
    """An unpartitioned asset's materialization health as Dagster computes it for the UI's asset
    health (HEALTHY, DEGRADED for failed, UNKNOWN for never materialised)."""
    import asyncio

    from dagster._core.definitions.asset_health.asset_materialization_health import AssetMaterializationHealthState
    from dagster._core.loader import LoadingContextForTest

    state = asyncio.run(AssetMaterializationHealthState.compute_for_asset(key, None, LoadingContextForTest(instance)))
    return state.health_status.value
