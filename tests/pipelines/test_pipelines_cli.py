"""`python -m pipelines`, the way `make run` runs it: a short progress view and the summary on the
terminal, everything else in the log file it names; a failure's first lines name the stream and the fix;
every command's help lists its options and the variables it reads."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import dagster as dg
import httpx
import pytest

from connectors.streams import STREAMS
from pipeline_runs import AS_OF, SCALE, SEED, materialization_health
from pipelines.cli import COMMAND_GROUPS, build_parser
from pipelines.instance import ensure_instance_config
from pipelines.settings import variables

REPO = Path(__file__).resolve().parents[2]
MAX_LINES = 40


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`python -m pipelines <args>` in the repo, as `make run` starts it, with only `env`'s HUB_* variables."""
    clean = {name: value for name, value in os.environ.items() if not name.startswith(("HUB_", "DAGSTER_"))}
    clean["HUB_API_VERSION_DATE"] = os.environ["HUB_API_VERSION_DATE"]  # tests/conftest.py: a fixed day
    return subprocess.run(
        [sys.executable, "-m", "pipelines", *args], cwd=REPO, env={**clean, **env},
        capture_output=True, text=True, timeout=900,
    )


def log_file(stdout: str) -> Path:
    """The log file the first line names."""
    first = stdout.splitlines()[0]
    assert first.startswith("nightly: full log in "), first
    return Path(first.removeprefix("nightly: full log in "))


def test_make_run_prints_a_short_progress_view_then_the_summary(tmp_path):
    env = {
        "HUB_DATA_DIR": str(tmp_path / "data"),
        "HUB_SANDBOX_SEED": str(SEED),
        "HUB_SANDBOX_SCALE": SCALE,
        "HUB_SANDBOX_AS_OF": AS_OF.isoformat(),
        "HUB_UI_PORT": "3917",
    }
    done = run_cli(["nightly"], env)
    lines = done.stdout.splitlines()
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(lines) <= MAX_LINES, done.stdout
    repeated = [line for line, count in Counter(line for line in lines if line.strip()).items() if count > 1]
    assert not repeated, f"printed more than once: {repeated}"
    assert done.stderr == ""
    for name in STREAMS:  # one line per stream, with its fetch and its load
        (line,) = [line for line in lines if line.split()[:1] == [name]]
        assert " fetch " in line and " load " in line and " records " in line
    assert any(line.split()[:1] == ["dbt"] and " models" in line for line in lines)
    assert any(line.split()[:1] == ["publish"] for line in lines)
    assert any(line.startswith("channel ") for line in lines)  # the headline table (pipelines/summary.py)
    assert "http://127.0.0.1:3917" in done.stdout  # the UI address follows HUB_UI_PORT
    # dbt's node lines and Dagster's events are in the log, never on the terminal.
    log = log_file(done.stdout)
    assert log.parent == tmp_path / "data" / "logs" and log.is_file()
    assert [line.split() for line in lines if "full log:" in line] == [["full", "log:", str(log)]]
    text = log.read_text()
    assert " of " in text and " START " in text and "STEP_SUCCESS" not in done.stdout
    assert not any(" START " in line for line in lines)


# Assets of the build stage a failed night must leave as they were: a model, a mart, the published file.
BUILT = [dg.AssetKey("stg_shipstation__shipments"), dg.AssetKey("mart_sales_vs_fulfilment"), dg.AssetKey("published_marts")]


def test_a_failed_stream_says_which_why_and_the_fix_first(tmp_path, tiny_sandbox_env):
    """On the terminal, in the run's failure event (what the run page shows first), and in the assets:
    the models and the published marts, never planned by the failed run, keep their last materialisation."""
    home = tmp_path / "dagster_home"
    ensure_instance_config(home)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for key in BUILT:  # a last night that built them, as the UI's "Report materialization" records it
            instance.report_runless_asset_event(dg.AssetMaterialization(key, description="the last good night"))
    env = {
        **tiny_sandbox_env,
        "HUB_SHIPSTATION_API_KEY": "revoked-key",  # ShipStation answers 401: an auth error, never retried
        "HUB_DATA_DIR": str(tmp_path / "data"),
        "DAGSTER_HOME": str(home),
    }
    done = run_cli(["nightly"], env)
    lines = done.stdout.splitlines()
    assert done.returncode == 1, done.stdout + done.stderr
    assert len(lines) <= MAX_LINES and done.stderr == ""
    failed = sorted(line.split()[0] for line in lines if line.split()[1:2] == ["FAILED"])
    assert failed == ["shipstation__labels", "shipstation__shipments"], done.stdout
    report = lines.index(next(line for line in lines if line.startswith("The nightly run ")))
    for line in lines[report + 1 : report + 3]:  # the stream, why, and the fix, before anything else
        assert line.strip().startswith(("shipstation__labels failed: ", "shipstation__shipments failed: ")), done.stdout
        assert "401" in line and "Fix: " in line and "revoked-key" not in line
    assert lines[report + 3].strip() == f"full log: {log_file(done.stdout)}"
    assert log_file(done.stdout).is_file()

    with dg.DagsterInstance.from_config(str(home)) as instance:
        (run,) = instance.get_runs()  # the ingest alone: no build after a failed ingest
        assert (run.job_name, run.status) == ("nightly_ingest", dg.DagsterRunStatus.FAILURE)
        (failure,) = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records
        first = failure.event_log_entry.dagster_event.message.splitlines()[0]
        assert first in {line.strip() for line in lines[report + 1 : report + 3]}  # ours, before Dagster's words
        assert materialization_health(instance, dg.AssetKey(["shipstation", "shipments"])) == "DEGRADED"
        assert {key.to_user_string(): materialization_health(instance, key) for key in BUILT} == {
            key.to_user_string(): "HEALTHY" for key in BUILT
        }
        for key in BUILT:
            shown = instance.get_latest_materialization_event(key).asset_materialization
            assert shown.description == "the last good night"


@pytest.mark.parametrize("command", sorted(COMMAND_GROUPS))
def test_each_command_lists_its_options_and_the_variables_it_reads(command):
    parser = build_parser()
    sub = parser._subparsers._group_actions[0].choices[command]  # argparse keeps sub-parsers here only
    text = sub.format_help()
    for action in sub._actions:
        assert all(option in text for option in action.option_strings)
    for variable in variables(*COMMAND_GROUPS[command]):
        assert f"  {variable.name} (default " in text, f"{command} --help omits {variable.name}"
    assert all(f"  {variable.name} (default " in parser.format_help() for variable in variables())


def test_dagster_dev_serves_the_definitions_from_a_fresh_clone(tmp_path):
    """No dbt target folder, no HUB_* variables: `dagster dev -w workspace.yaml` parses the project when
    it loads the definitions and serves the whole asset graph."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True, timeout=120)
    manifest = clone / "dbt_project" / "target" / "manifest.json"
    assert not manifest.parent.exists()
    home = tmp_path / "dagster_home"
    home.mkdir()
    env = {name: value for name, value in os.environ.items() if not name.startswith(("HUB_", "DAGSTER_"))}
    env.update(DAGSTER_HOME=str(home), HUB_DATA_DIR=str(tmp_path / "data"))
    port = free_port()
    dagster = Path(sys.executable).parent / "dagster"
    with (tmp_path / "dagster_dev.log").open("wb") as log:
        server = subprocess.Popen(
            [str(dagster), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
            cwd=clone, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            keys = served_asset_keys(f"http://127.0.0.1:{port}/graphql", server)
        finally:
            server.send_signal(signal.SIGINT)  # dagster dev stops its webserver, daemon and code servers on SIGINT
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
    assert manifest.is_file(), (tmp_path / "dagster_dev.log").read_text()[-3000:]
    streams = {tuple(name.split("__", 1)) for name in STREAMS}
    assert streams <= keys
    assert any(key[-1] == "mart_sales_vs_fulfilment" for key in keys) and ("published_marts",) in keys


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def served_asset_keys(graphql: str, server: subprocess.Popen[bytes], timeout: float = 300) -> set[tuple[str, ...]]:
    """The asset keys the webserver serves, once its code location has loaded."""
    query = {"query": "{ assetNodes { assetKey { path } } }"}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, "dagster dev exited"
        try:
            reply = httpx.post(graphql, json=query, timeout=10)
            nodes = reply.json().get("data", {}).get("assetNodes") if reply.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            nodes = None
        if nodes:
            return {tuple(node["assetKey"]["path"]) for node in nodes}
        time.sleep(1)  # polling a server that is starting, not waiting out a race
    raise AssertionError(f"no asset graph served within {timeout}s")


def test_resources_are_fed_by_env_var_and_set_by_tests_without_the_environment(dbt_manifest, tmp_path):
    from pipelines.definitions import build_definitions
    from pipelines.resources import HubConfigResource

    env = {"HUB_DATA_DIR": str(tmp_path / "fed"), "HUB_MAX_QUARANTINE_RATE": "0.2", "HUB_SHIPSTATION_API_KEY": "not-a-field-7f3a"}
    resources = build_definitions(env).resources
    assert resources["hub"].data_dir == dg.EnvVar("HUB_DATA_DIR")  # the UI shows the variable
    assert resources["thresholds"].max_quarantine_rate == dg.EnvVar("HUB_MAX_QUARANTINE_RATE")
    assert "not-a-field-7f3a" not in repr(resources["hub"])  # a secret is never a field
    assert build_definitions({}).resources["hub"].data_dir is None  # unset: read when a run asks
    # A field set by a test wins over the environment, which the test leaves alone.
    assert HubConfigResource(data_dir=str(tmp_path / "set")).load().data_dir == tmp_path / "set"


def test_the_dbt_harness_sets_variables_for_one_invocation_only(tmp_path, monkeypatch):
    from support import dbt_harness

    seen: list[tuple[str | None, str | None]] = []

    class Runner:  # stands in for dbt: records what it would read through env_var()
        def invoke(self, args: list[str]) -> None:
            seen.append((os.environ.get("HUB_DATA_DIR"), os.environ.get("HUB_AS_OF")))

    monkeypatch.setattr(dbt_harness, "dbtRunner", Runner)
    monkeypatch.delenv("HUB_AS_OF", raising=False)
    before = dict(os.environ)
    dbt_harness.invoke_dbt(["build"], tmp_path, env={"HUB_AS_OF": "2026-10-01"})
    assert seen == [(str(tmp_path), "2026-10-01")]
    assert dict(os.environ) == before


def test_importing_the_definitions_reads_no_setting(dbt_manifest):
    """A bad schedule setting stops the load of the definitions, not their import (settings are read
    when Dagster loads them: tests and tools import the module freely)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("HUB_")}
    code = (
        "import pipelines.definitions as d\n"
        "from connectors.config import SettingsError\n"
        "from dagster.components.definitions import LazyDefinitions\n"
        "assert isinstance(d.defs, LazyDefinitions)\n"
        "try:\n    d.build_definitions()\nexcept SettingsError as e:\n    print(e.problems[0])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env={**env, "HUB_NIGHTLY_CRON": "every night"},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("HUB_NIGHTLY_CRON='every night'"), done.stdout


def test_a_failed_dbt_build_is_told_by_dbts_first_error_and_the_fix():
    from pipelines.progress import DBT_FIX, first_line

    dagster_dbt_text = (  # how dagster-dbt 0.29 words a failed build (DbtCliInvocation.get_error)
        "The dbt CLI process with command\n\n`dbt build --vars {}`\n\nfailed with exit code `1`. Check the stdout "
        "in the Dagster compute logs for the full information about the error.\n\nErrors parsed from dbt logs:\n\n"
        "Runtime Error in model fct_deals (models/marts/fct_deals.sql)\n  Binder Error: column \"amount\" not found\n\n"
        "Failure in test unique_fct_deals_deal_id (models/marts/fct_deals.yml)"
    )
    assert first_line(dagster_dbt_text) == (
        'Runtime Error in model fct_deals (models/marts/fct_deals.sql) Binder Error: column "amount" not found. '
        + DBT_FIX
    )
    assert first_line("\nhubspot__deals failed: HTTP 401. Fix: renew\nTraceback ...") == "hubspot__deals failed: HTTP 401. Fix: renew"
