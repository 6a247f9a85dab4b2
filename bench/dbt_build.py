"""Benchmark: `dbt build` wall time on a sandbox world, three ways.

1. full: every stream ingested at the clock, then `dbt build --full-refresh`;
2. incremental: the sandbox clock moved one day, streams ingested again, then `dbt build`;
3. unchanged: `dbt build` again with nothing new.

With `--floor`, two more builds say what no change to the models can go below: **start-up** (a
`dbt build` that selects nothing: imports, partial parse, manifest) and **no data** (`dbt build
--empty`: every node of the graph, each reading zero rows, so dbt's own per-node work alone).

Targets (issue 5): full under 30 s on `large`; incremental at most a fifth of full.
Run: `.venv/bin/python -m bench.dbt_build --scale large` (see --help). Prints a table and writes
`<data dir>/bench-dbt-build.json`.

`--raw-snapshots DIR` keeps the raw tables of both clock days (`day0.duckdb`, `day1.duckdb`) after
the first run; later runs with the same DIR start from them instead of ingesting again, so a change
to the dbt project is measured in a minute or two instead of a full ingest of `large`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb

from connectors.config import HubConfig
from connectors.ingest import ingest_stream
from connectors.streams import STREAMS
from pipelines.sandbox_env import SYSTEM_PREFIXES, sandbox_env
from sandbox.server import running_sandbox

log = logging.getLogger("bench.dbt_build")
PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"


def ingest_all(env: dict[str, str], run_id: str) -> float:
    """Ingest every stream once; seconds taken."""
    started = time.perf_counter()
    config = HubConfig.from_env(env)
    for name in STREAMS:
        ingest_stream(name, config, run_id)
    return time.perf_counter() - started


def vm_hwm(pid: int) -> int:
    """Peak resident set size (VmHWM) of a running process in bytes; 0 once it is gone.

    Read from /proc rather than `ru_maxrss`: Linux carries ru_maxrss over from the parent at
    fork, so a child's would start at the bench's own size."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def run_with_peak_rss(cmd: list[str], env: dict[str, str]) -> int:
    """Run `cmd` to completion (raising on failure); its peak RSS in bytes, polled every 20 ms."""
    process = subprocess.Popen(cmd, env=env)
    peak = 0
    done = threading.Event()

    def poll() -> None:
        nonlocal peak
        while not done.wait(0.02):
            peak = max(peak, vm_hwm(process.pid))

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    returncode = process.wait()
    done.set()
    poller.join()
    if returncode:
        raise subprocess.CalledProcessError(returncode, cmd)
    return peak


def dbt_build(env: dict[str, str], as_of: date, full_refresh: bool,
              extra_args: list[str], project_dir: Path = PROJECT_DIR,
              as_of_var: bool = False) -> dict[str, float]:
    """One `dbt build` through the CLI, as the hub runs it: seconds of wall time and of CPU,
    peak RSS (MB) of the dbt process and the number of nodes it ran (exposures included).

    The clock goes in as HUB_AS_OF, which makes dbt re-parse one file when it moves; with
    `as_of_var` it goes in as `--vars`, and a moved clock re-parses the whole project.

    CPU seconds (user + system of the dbt process) are reported beside wall time because the
    bench machine is shared: CPU time barely moves with the load of others, wall time does."""
    cmd = [str(DBT), "build", "--project-dir", str(project_dir), "--profiles-dir", str(project_dir),
           "--target-path", str(Path(env["HUB_DATA_DIR"]) / "dbt_target"),
           "--log-path", str(Path(env["HUB_DATA_DIR"]) / "dbt_logs"), "--quiet", *extra_args]
    clock = {"HUB_AS_OF": as_of.isoformat()}
    if as_of_var:
        cmd += ["--vars", json.dumps({"as_of": as_of.isoformat()})]
        clock = {}
    if full_refresh:
        cmd.append("--full-refresh")
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    peak = run_with_peak_rss(cmd, {**os.environ, **env, **clock})
    elapsed = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    # keep each build's per-node timings for profiling (dbt overwrites run_results.json)
    target = Path(env["HUB_DATA_DIR"]) / "dbt_target"
    phase = "full" if full_refresh else f"incremental-{as_of.isoformat()}"
    run_results = target / "run_results.json"
    nodes = 0  # unknown under --no-write-json
    if run_results.exists():
        nodes = len(json.loads(run_results.read_text())["results"])
        shutil.move(run_results, target / f"run_results-{phase}-{time.time():.0f}.json")
    return {"s": elapsed, "cpu_s": cpu, "peak_rss_mb": peak / 2**20, "nodes": nodes}


def replace_raw_tables(warehouse: Path, snapshot: Path) -> None:
    """Overwrite the warehouse's raw schema with a snapshot's, keeping every `_loaded_at` as written."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"attach '{snapshot}' as snap (read_only)")
        tables = [row[0] for row in con.execute(
            "select table_name from duckdb_tables() where database_name = 'snap'"
            " and schema_name = 'raw'").fetchall()]
        for table in tables:
            con.execute(f"create or replace table raw.{table} as select * from snap.raw.{table}")


PHASES = ("full", "incremental", "unchanged")
FLOOR_PHASES = ("startup", "empty")
# a selector no node matches: dbt starts, parses, writes its manifest and runs nothing
NOTHING_SELECTED = ["--select", "tag:bench_selects_nothing"]


def record(results: dict[str, object], phase: str, build: dict[str, float]) -> None:
    """Store one build's figures as `dbt_<phase>_<figure>` (e.g. `dbt_full_s`)."""
    for figure, value in build.items():
        results[f"dbt_{phase}_{figure}"] = value


def run(seed: int, scale: str, as_of: date, data_dir: Path, worlds_dir: Path,
        snapshots: Path | None, extra_args: list[str],
        project_dir: Path = PROJECT_DIR, as_of_var: bool = False,
        floor: bool = False) -> dict[str, object]:
    """The three timings (and the ingests around them) for one world; with `floor`, the two
    floor builds after them (`--empty` last: it leaves every table empty)."""
    results: dict[str, object] = {"seed": seed, "scale": scale, "as_of": as_of.isoformat(),
                                  "dbt_args": extra_args, "as_of_var": as_of_var}
    next_day = as_of + timedelta(days=1)
    warehouse = data_dir / "warehouse.duckdb"
    env = {"HUB_DATA_DIR": str(data_dir)}
    if snapshots and (snapshots / "day1.duckdb").exists():
        shutil.copy(snapshots / "day0.duckdb", warehouse)
        record(results, "full", dbt_build(env, as_of, True, extra_args, project_dir, as_of_var))
        replace_raw_tables(warehouse, snapshots / "day1.duckdb")
    else:
        with running_sandbox(seed=seed, scale=scale, as_of=as_of, data_dir=worlds_dir) as sb:
            env = {**sandbox_env(sb.url, list(SYSTEM_PREFIXES)), **env,
                   "HUB_END_DATE": (as_of - timedelta(days=1)).isoformat()}
            results["ingest_full_s"] = ingest_all(env, "bench-full")
            if snapshots:
                snapshots.mkdir(parents=True, exist_ok=True)
                shutil.copy(warehouse, snapshots / "day0.duckdb")
            record(results, "full", dbt_build(env, as_of, True, extra_args, project_dir, as_of_var))

            sb.set_clock(next_day)
            env["HUB_END_DATE"] = as_of.isoformat()
            results["ingest_next_day_s"] = ingest_all(env, "bench-next-day")
            if snapshots:
                shutil.copy(warehouse, snapshots / "day1.duckdb")
    record(results, "incremental", dbt_build(env, next_day, False, extra_args, project_dir, as_of_var))
    record(results, "unchanged", dbt_build(env, next_day, False, extra_args, project_dir, as_of_var))
    if floor:
        record(results, "startup", dbt_build(env, next_day, False, [*extra_args, *NOTHING_SELECTED],
                                             project_dir, as_of_var))
        record(results, "empty", dbt_build(env, next_day, False, [*extra_args, "--empty"],
                                           project_dir, as_of_var))
    results["incremental_over_full"] = results["dbt_incremental_s"] / results["dbt_full_s"]
    results["load_average_1m"] = os.getloadavg()[0]
    return results


def table(results: dict[str, object]) -> str:
    """The figures as the text table the bench prints."""
    labels = {"full": "full (--full-refresh)", "incremental": "incremental (clock +1 day)",
              "unchanged": "nothing changed", "startup": "floor: start-up only",
              "empty": "floor: no data (--empty)"}
    lines = [f"  {'':28}{'wall s':>8}{'CPU s':>8}{'peak RSS MB':>13}{'nodes':>7}"]
    for phase in [*PHASES, *(p for p in FLOOR_PHASES if f"dbt_{p}_s" in results)]:
        lines.append(
            f"  {labels[phase]:28}{results[f'dbt_{phase}_s']:8.2f}{results[f'dbt_{phase}_cpu_s']:8.2f}"
            f"{results[f'dbt_{phase}_peak_rss_mb']:13.0f}{results[f'dbt_{phase}_nodes']:7d}")
    lines.append(f"  incremental / full {results['incremental_over_full']:.2f} (wall)")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, run the benchmark, print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", default="large", choices=["tiny", "small", "medium", "large"])
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 1))
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="warehouse and landing dir (default: a fresh temp dir)")
    parser.add_argument("--worlds-dir", type=Path,
                        default=Path(os.environ.get("HUB_DATA_DIR", "data")) / "sandbox",
                        help="where sandbox worlds are generated and reused")
    parser.add_argument("--raw-snapshots", type=Path, default=None,
                        help="keep (first run) or reuse (later runs) the raw tables of both days here")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR,
                        help="dbt project to build (e.g. an older version, to compare)")
    parser.add_argument("--dbt-args", default="",
                        help="extra `dbt build` arguments, e.g. '--exclude-resource-type unit_test'")
    parser.add_argument("--as-of-var", action="store_true",
                        help="pass the clock as `--vars {as_of: ...}` (re-parses the project when it"
                             " moves) instead of HUB_AS_OF")
    parser.add_argument("--floor", action="store_true",
                        help="also time a build that selects nothing and one with --empty (no data)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-dbt-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    results = run(args.seed, args.scale, args.as_of, data_dir, args.worlds_dir,
                  args.raw_snapshots, args.dbt_args.split(), args.project_dir, args.as_of_var,
                  args.floor)
    (data_dir / "bench-dbt-build.json").write_text(json.dumps(results, indent=2))
    sys.stdout.write(
        f"dbt build on {args.scale} (seed {args.seed}, clock {args.as_of}):\n"
        + table(results)
        + f"  (load average {results['load_average_1m']:.1f} on {os.cpu_count()} cores)\n"
        f"  figures in {data_dir / 'bench-dbt-build.json'}\n"
    )


if __name__ == "__main__":
    main()
