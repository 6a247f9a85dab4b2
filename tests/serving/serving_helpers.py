"""Helpers of the serving tests: one served night on the `small` world, watched by a BI reader.

The session runs, against the sandbox over real HTTP, with a reader querying the published
marts read-only in a tight loop the whole time:
1. the whole nightly job (ingest -> dbt build with its tests as checks -> publish);
2. a night whose build fails: a blocking dbt test (a relationship to `dim_channel`) is made to
   fail, so the publish must not run and the published files must stay byte for byte;
3. a publish alone, which swaps a new snapshot in under the reader.
The serving tests assert on what these runs left behind and on what the reader saw.
"""

import hashlib
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.publish.marts_file import read_snapshot
from pipelines.sandbox_env import SYSTEM_PREFIXES, sandbox_env
from sandbox.server import running_sandbox
from support.browser import ARTIFACTS_DIR

SEED, SCALE, AS_OF = 6, "small", date(2026, 10, 1)
READER = Path(__file__).with_name("reader_child.py")
CHILD_TIMEOUT_S = 60
# The files a failed night must leave exactly as they were.
PUBLISHED_FILES = (
    "marts.duckdb",
    "parquet/_published/data.parquet",
    "parquet/mart_sales_vs_fulfilment/data.parquet",
    "report/index.html",
)


@dataclass
class ServedNight:
    """What the three runs and the reader left behind."""

    data_dir: Path
    nightly: dg.ExecuteInProcessResult
    failed: dg.ExecuteInProcessResult
    republished: dg.ExecuteInProcessResult
    before_failed: dict[str, str]  # sha256 of each published file just before the failed night
    after_failed: dict[str, str]
    run_id_after_failed: str  # the snapshot `_published` named right after the failed night
    reader: dict

    @property
    def marts_file(self) -> Path:
        return self.data_dir / "marts.duckdb"


def fingerprints(data_dir: Path) -> dict[str, str]:
    """sha256 of every published file that exists."""
    return {
        name: hashlib.sha256((data_dir / name).read_bytes()).hexdigest()
        for name in PUBLISHED_FILES
        if (data_dir / name).exists()
    }


@contextmanager
def channel_missing_from_dim_channel(warehouse: Path, channel: str) -> Iterator[None]:
    """Remove one channel from the built `dim_channel`, so the mart's relationship test fails; restore after."""
    with duckdb.connect(str(warehouse)) as con:
        kept = con.execute("select * from main.dim_channel where channel = ?", [channel]).fetchall()
        assert kept, f"dim_channel has no {channel!r} row to remove: the forced failure would prove nothing"
        con.execute("delete from main.dim_channel where channel = ?", [channel])
    try:
        yield
    finally:
        with duckdb.connect(str(warehouse)) as con:
            placeholders = ", ".join("?" * len(kept[0]))
            con.executemany(f"insert into main.dim_channel values ({placeholders})", kept)


@dataclass
class Reader:
    """The reader process's files; `findings` fills with its JSON once it has stopped."""

    process: subprocess.Popen
    work_dir: Path
    findings: dict

    def wait_until_seen(self, run_id: str) -> None:
        """Block until the reader has queried snapshot `run_id` (it writes each new one it sees)."""
        latest = self.work_dir / "reader.latest"
        wait_for_child(self.process, lambda: latest.exists() and latest.read_text() == run_id, f"seeing {run_id}")


def wait_for_child(process: subprocess.Popen, condition: Callable[[], bool], what: str) -> None:
    """Block until `condition` holds (a file the child writes); fail if the child dies or a minute passes."""
    deadline = time.monotonic() + CHILD_TIMEOUT_S
    while not condition():
        assert process.poll() is None, f"the child exited with {process.returncode} before {what}"
        assert time.monotonic() < deadline, f"the child never got to {what}"
        time.sleep(0.02)  # polling for a file the child writes, not waiting out a race


@contextmanager
def bi_reader(marts_file: Path, work_dir: Path) -> Iterator[Reader]:
    """Run reader_child.py for the duration of the block."""
    stop, result = work_dir / "reader.stop", work_dir / "reader.json"
    process = subprocess.Popen([sys.executable, str(READER), str(marts_file), str(work_dir)])
    reader = Reader(process, work_dir, {})
    try:
        wait_for_child(process, (work_dir / "reader.ready").exists, "starting")
        yield reader
    finally:
        stop.touch()
        process.wait(timeout=120)
    assert process.returncode == 0, f"the reader crashed with exit code {process.returncode}"
    reader.findings.update(json.loads(result.read_text()))


@contextmanager
def nightly_job(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dg.JobDefinition]:
    """The nightly job over `data_dir`, with the served world's sandbox running and the environment set."""
    with (
        pytest.MonkeyPatch.context() as env,
        running_sandbox(seed=SEED, scale=SCALE, as_of=AS_OF, data_dir=tmp_path_factory.mktemp("world")) as sandbox,
    ):
        env.setenv("HUB_DATA_DIR", str(data_dir))
        for name, value in sandbox_env(sandbox.url, list(SYSTEM_PREFIXES)).items():
            env.setenv(name, value)
        from pipelines.definitions import build_definitions

        yield build_definitions({}).resolve_job_def("nightly")


def serve_night(tmp_path_factory: pytest.TempPathFactory) -> ServedNight:
    """The three runs of the module docstring, with the reader watching throughout."""
    data_dir = tmp_path_factory.mktemp("served")
    work_dir = tmp_path_factory.mktemp("reader")
    with nightly_job(data_dir, tmp_path_factory) as job:
        seconds: dict[str, float] = {}
        with dg.instance_for_test() as instance, bi_reader(data_dir / "marts.duckdb", work_dir) as reader:
            started = time.monotonic()
            nightly = job.execute_in_process(instance=instance, raise_on_error=False)
            seconds["nightly"] = time.monotonic() - started
            before = fingerprints(data_dir)
            with channel_missing_from_dim_channel(data_dir / "warehouse.duckdb", "meta"):
                failed = job.execute_in_process(
                    instance=instance,
                    raise_on_error=False,
                    asset_selection=[dg.AssetKey("mart_sales_vs_fulfilment"), dg.AssetKey("published_marts")],
                )
            seconds["failed_night"] = time.monotonic() - started - seconds["nightly"]
            after = fingerprints(data_dir)
            run_id_after_failed = read_snapshot(data_dir / "marts.duckdb").run_id
            republished = job.execute_in_process(
                instance=instance, raise_on_error=False, asset_selection=[dg.AssetKey("published_marts")]
            )
            if republished.success:
                reader.wait_until_seen(republished.run_id)
            seconds["republish"] = time.monotonic() - started - seconds["nightly"] - seconds["failed_night"]
    record_for_review(seconds, reader.findings)
    return ServedNight(data_dir, nightly, failed, republished, before, after, run_id_after_failed, reader.findings)


def record_for_review(seconds: dict[str, float], findings: dict) -> None:
    """Keep the phase durations and the reader's counts as an artefact (measured, never asserted)."""
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    summary = {"world": f"seed {SEED}, {SCALE}, as of {AS_OF}", "seconds": seconds, "reader": findings.get("counts")}
    (ARTIFACTS_DIR / "serving-night.json").write_text(json.dumps(summary, indent=2) + "\n")


def failed_steps(result: dg.ExecuteInProcessResult) -> list[str]:
    """Step keys that failed in a run."""
    return [event.step_key for event in result.all_events if event.is_step_failure]


def materialization_metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict:
    """The metadata of `asset`'s materialisation in a run."""
    (metadata,) = [
        event.step_materialization_data.materialization.metadata
        for event in result.all_events
        if event.is_step_materialization and event.asset_key.to_user_string() == asset
    ]
    return metadata


def text_hits(con: duckdb.DuckDBPyConnection, condition: str, params: list) -> list[tuple[str, str, str, str]]:
    """Per text column (VARCHAR, JSON) of every table: (schema, table, column, first value) where `condition` holds.

    `condition` names the column as `{column}` (cast to varchar), e.g. `contains(lower({column}), ?)`.
    """
    columns = con.execute(
        "select schema_name, table_name, column_name from duckdb_columns() where database_name = current_database() "
        "and data_type in ('VARCHAR', 'JSON') and schema_name not in ('information_schema', 'pg_catalog') order by all"
    ).fetchall()
    hits = []
    for schema, table, column in columns:
        value = f'cast("{column}" as varchar)'
        hit = con.execute(
            f'select {value} from "{schema}"."{table}" where {condition.format(column=value)} limit 1', params
        ).fetchone()
        if hit:
            hits.append((schema, table, column, hit[0]))
    return hits
