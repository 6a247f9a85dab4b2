"""`python -m pipelines nightly|ui|prepare|rebuild|spark-build|forget`: the commands behind `make run` and `make ui`.

Every command checks all the settings below first and refuses, writing nothing, if one is bad."""

import argparse
import contextlib
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from connectors.config import SettingsError
from pipelines.instance import ensure_instance_config
from pipelines.progress import Progress, log_path, terminal_and_log
from pipelines.sandbox_env import planned_env, sandbox_clock_env, sandbox_env, systems_without_base_url
from pipelines.settings import HubSettings, RunSettings, SandboxSettings, load_settings, settings_help

log = logging.getLogger("hub")
REPO_DIR = Path(__file__).resolve().parents[1]


# The settings groups (pipelines/settings.py) each command uses; every command checks them all first.
COMMAND_GROUPS: dict[str, tuple[str, ...]] = {
    "nightly": ("connectors", "dbt", "schedule", "checks", "runs", "sandbox", "privacy"),
    "ui": ("connectors", "dbt", "schedule", "checks", "runs", "sandbox", "privacy"),
    "prepare": ("dbt",),
    "rebuild": ("connectors", "dbt", "checks", "runs", "sandbox", "privacy"),
    "spark-build": ("connectors", "dbt", "privacy"),
    "forget": ("connectors", "dbt", "privacy"),
}
CHECKED_FIRST = "Every HUB_* variable is checked before a command starts (`python -m pipelines --help` lists them all)."


def build_parser() -> argparse.ArgumentParser:
    """The command line; every command's help lists its options and the variables it reads (pipelines/settings.py)."""
    parser = argparse.ArgumentParser(
        prog="python -m pipelines", description=__doc__, epilog=settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help: str) -> argparse.ArgumentParser:
        epilog = f"{settings_help(*COMMAND_GROUPS[name])}\n\n{CHECKED_FIRST}"
        return commands.add_parser(
            name, help=help, description=help, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter
        )

    nightly = command("nightly", "run the nightly job once, end to end: one line per stream and phase, then the "
                      "headline numbers; the full log goes to HUB_DATA_DIR/logs")
    nightly.add_argument("-v", "--verbose", action="store_true", help="also print dbt's line for every model and test")
    ui = command("ui", "start the Dagster UI (with the sandbox behind it when no vendor is configured)")
    ui.add_argument("--port", type=_port, default=None, help="default: HUB_UI_PORT, else 3000")
    ui.add_argument("--host", default=None, help="default: HUB_UI_HOST, else 127.0.0.1")
    command("prepare", "parse the dbt project into its manifest")
    command("rebuild", "rebuild the warehouse from the landed pages alone, then build and publish")
    spark = command("spark-build", "build the marts on Apache Spark from the raw layer's Parquet (HUB_LAKE_DIR, else "
                    "exported from the warehouse) and publish them as the nightly does (needs the spark extra)")
    spark.add_argument("--full-refresh", action="store_true", help="rebuild every incremental model whole")
    forget = command("forget", "delete one person's records (by email) from landing, raw, the lake, the marts and "
                     "the published files, then rebuild and republish (pipelines/privacy)")
    forget.add_argument("--email", required=True, help="the person's email address, as the vendors hold it")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, check every setting, then run one command."""
    args = build_parser().parse_args(argv)
    # Dagster's own console logger reports the run; ours says only what happens around it.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    log.setLevel(logging.INFO)
    # Every setting is checked before anything is created: no data dir, warehouse or Dagster home.
    try:
        settings = load_settings(planned_env(os.environ))
    except SettingsError as exc:
        print(refusal(args.command, exc), file=sys.stderr)
        return 2
    export_checked(settings)
    data_dir = _data_dir(settings.connectors.data_dir)

    if args.command == "prepare":
        from pipelines.transform.project import prepare_dbt_project

        print(prepare_dbt_project())
        return 0
    if args.command == "spark-build":
        from pipelines.spark_build import spark_build

        snapshot = spark_build(data_dir, data_dir, {"reporting_currency": settings.dbt.reporting_currency},
                               "spark-build", lake_dir=_lake_dir(settings), full_refresh=args.full_refresh)
        print(f"published {len(snapshot.row_counts)} marts built on Spark to {data_dir / 'marts.duckdb'}")
        return 0
    if args.command == "forget":
        from pipelines.privacy.forget import forget_command

        return forget_command(args.email, data_dir, _lake_dir(settings))
    if args.command == "nightly":
        return nightly_command(data_dir, settings, args.verbose)
    with sandbox_for_unconfigured_systems(data_dir, settings.sandbox):
        if args.command == "rebuild":
            from pipelines.rebuild import run_rebuild

            return run_rebuild(data_dir)
        return run_ui(args.host or settings.runs.ui_host, args.port or settings.runs.ui_port)


def _lake_dir(settings: HubSettings) -> Path | None:
    """The raw layer's Parquet copy, when one is kept (HUB_LAKE_DIR)."""
    return settings.connectors.lake_dir.resolve() if settings.connectors.lake_dir else None


def refusal(command: str, error: SettingsError) -> str:
    """What a refused command prints: every bad setting, each with its fix, and that nothing changed."""
    lines = [f"python -m pipelines {command}: refused, nothing was written. Fix these settings and run it again:"]
    lines += [f"  - {problem}" for problem in error.problems]
    lines.append("(`python -m pipelines --help` lists every variable, its default and what it allows.)")
    return "\n".join(lines)


def export_checked(settings: HubSettings) -> None:
    """Put back, normalised, the checked values that dbt reads from the environment itself."""
    if settings.dbt.as_of is not None:
        os.environ["HUB_AS_OF"] = settings.dbt.as_of.isoformat()
    os.environ["HUB_DBT_DUCKDB_MEMORY_LIMIT"] = settings.dbt.dbt_duckdb_memory_limit
    os.environ["HUB_REPORTING_CURRENCY"] = settings.dbt.reporting_currency


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is outside 1..65535")
    return port


def _data_dir(configured: Path) -> Path:
    """`HUB_DATA_DIR` made absolute, created, and exported with the rest of the run's environment."""
    data_dir = configured.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["HUB_DATA_DIR"] = str(data_dir)
    # dagster-dbt looks for `dbt` on PATH: this interpreter's environment comes first.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    os.environ.setdefault("DAGSTER_HOME", str(data_dir / "dagster_home"))
    ensure_instance_config(Path(os.environ["DAGSTER_HOME"]))
    return data_dir


@contextlib.contextmanager
def sandbox_for_unconfigured_systems(data_dir: Path, sandbox_settings: SandboxSettings) -> Iterator[None]:
    """Start the local sandbox for every configured system without a base URL (the vendors HUB_CRM and
    HUB_FULFILMENT choose, never the others), for as long as the command runs."""
    systems = systems_without_base_url(os.environ)
    if not systems:
        yield
        return
    from sandbox.server import running_sandbox

    seed, scale, as_of = sandbox_settings.sandbox_seed, sandbox_settings.sandbox_scale, sandbox_settings.sandbox_as_of
    log.info("starting the sandbox (seed %s, scale %s, as of %s) for: %s", seed, scale, as_of, ", ".join(systems))
    with running_sandbox(seed=seed, scale=scale, as_of=str(as_of), data_dir=data_dir / "sandbox") as sandbox:
        os.environ.update(sandbox_env(sandbox.url, systems))
        os.environ.update(sandbox_clock_env(os.environ, as_of))
        # The connectors plan at the pace the sandbox enforces (its clock runs time_scale times faster)
        os.environ.setdefault("HUB_RATE_LIMIT_TIME_SCALE", str(max(1.0, sandbox_settings.sandbox_time_scale)))
        log.info("sandbox listening on %s", sandbox.url)
        yield


def nightly_command(data_dir: Path, settings: HubSettings, verbose: bool = False) -> int:
    """The nightly with the sandbox it needs: progress on the terminal, everything else in a log file."""
    path = log_path(data_dir, "nightly", datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"))
    with terminal_and_log(path, verbose) as terminal:
        logging.getLogger().setLevel(logging.INFO)  # the file keeps what the terminal leaves out
        print(f"nightly: full log in {path}", file=terminal, flush=True)
        try:
            with sandbox_for_unconfigured_systems(data_dir, settings.sandbox):
                return run_nightly(data_dir, terminal, path, settings.runs)
        except Exception as exc:  # the traceback goes to the log; the terminal gets its first line
            log.exception("the nightly stopped")
            reason = next((line for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
            print(f"The nightly stopped: {reason}\n  full log: {path}", file=terminal)
            return 1


def run_nightly(data_dir: Path, terminal: TextIO, log_file: Path, runs: RunSettings) -> int:
    """Run the nightly in this process as the schedule does (`nightly_ingest`, then `nightly_build` if it
    succeeded), showing its progress on `terminal`, then what it produced."""
    from dagster import DagsterInstance, colored_console_logger

    from connectors.streams import configured_streams
    from pipelines.jobs import run_nightly_in_process
    from pipelines.summary import HEADLINE_COLUMNS, format_table, headline_rows
    from pipelines.transform.project import prepare_dbt_project

    prepare_dbt_project()
    from pipelines.definitions import build_definitions

    progress = Progress(terminal, frozenset(configured_streams()))
    loggers = {"console": colored_console_logger, "progress": progress.logger()}
    with DagsterInstance.get() as instance:
        results = run_nightly_in_process(
            build_definitions(),
            loggers,
            instance=instance,
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}, "progress": {}}},
        )
    failed = next((result for result in results if not result.success), None)
    if failed is not None:
        print(f"\nThe nightly run {failed.run_id} ({failed.job_def.name}) failed; the last good marts (if any) are "
              "untouched.", file=terminal)
        for line in progress.failures or ["the run itself failed: see the log"]:
            print(f"  {line}", file=terminal)
        print(f"  full log: {log_file}\n  the run in the UI: make ui -> Runs", file=terminal)
        return 1
    marts_file = data_dir / "marts.duckdb"
    print("\nHeadline numbers (reporting currency, all months; backlog as of the clock):\n", file=terminal)
    print(format_table(HEADLINE_COLUMNS, headline_rows(marts_file)), file=terminal)
    print(
        f"\nRuns {' then '.join(result.run_id for result in results)} (ingest, build) succeeded.\n"
        f"  marts for BI (read-only): {marts_file}\n"
        f"  the same marts as Parquet: {data_dir / 'parquet'}\n"
        f"  working warehouse:        {data_dir / 'warehouse.duckdb'}\n"
        f"  nightly report:           {data_dir / 'report' / 'index.html'}\n"
        f"  full log:                 {log_file}\n"
        f"  query:  .venv/bin/python -c \"import duckdb; print(duckdb.connect('{marts_file}', read_only=True).sql('from mart_sales_vs_fulfilment limit 10'))\"\n"
        f"  BI:     docs/BI.md (DuckDB CLI, Python, SQLAlchemy, Metabase, Evidence)\n"
        f"  UI:     make ui   (then open http://{runs.ui_host}:{runs.ui_port}; these runs are in Runs)",
        file=terminal,
    )
    return 0


def run_ui(host: str, port: int) -> int:
    """Run `dagster dev` on loopback until interrupted (Ctrl-C or SIGTERM), then stop it cleanly."""
    from pipelines.transform.project import prepare_dbt_project

    prepare_dbt_project()
    dagster = Path(sys.executable).parent / "dagster"
    command = [str(dagster), "dev", "-w", str(REPO_DIR / "workspace.yaml"), "-h", host, "-p", str(port)]
    log.info("Dagster UI on http://%s:%s (Ctrl-C stops it and the sandbox)", host, port)
    # Failure alerts link to runs in this UI (pipelines/alerts.py) unless told another address.
    os.environ.setdefault("HUB_UI_URL", f"http://{host}:{port}")
    # A shell starts background jobs with SIGINT ignored, and an ignored signal stays ignored
    # across exec: `dagster dev` would then ignore the SIGINT that stops it (and its SIGTERM,
    # which it maps to SIGINT's handler) and outlive us. A handled signal is reset to the
    # default at exec, so handling SIGINT here gives `dagster dev` Python's own handler.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    process = subprocess.Popen(command, cwd=REPO_DIR)
    # `dagster dev` shuts its webserver, daemon and code servers down on SIGINT only: a SIGTERM
    # to us (a service manager, a test) is passed on as SIGINT, so nothing is left orphaned.
    signal.signal(signal.SIGTERM, lambda *_: process.send_signal(signal.SIGINT))
    try:
        return process.wait()
    except KeyboardInterrupt:  # Ctrl-C reached `dagster dev` too (same process group)
        return process.wait()
