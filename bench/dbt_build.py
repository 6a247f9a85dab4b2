"""Benchmark: `dbt build` wall time on a sandbox world, three ways.

1. full: every stream ingested at the clock, then `dbt build --full-refresh`;
2. incremental: the sandbox clock moved one day, streams ingested again, then `dbt build`;
3. unchanged: `dbt build` again with nothing new.

Targets (issue 5): full under 30 s on `large`; incremental at most a fifth of full.
Run: `.venv/bin/python -m bench.dbt_build --scale large` (see --help). Prints a table and writes
`<data dir>/bench-dbt-build.json`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

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


def dbt_build(env: dict[str, str], as_of: date, full_refresh: bool) -> float:
    """One `dbt build` through the CLI, as the hub runs it; seconds of wall time."""
    cmd = [str(DBT), "build", "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
           "--target-path", str(Path(env["HUB_DATA_DIR"]) / "dbt_target"),
           "--log-path", str(Path(env["HUB_DATA_DIR"]) / "dbt_logs"),
           "--vars", json.dumps({"as_of": as_of.isoformat()}), "--quiet"]
    if full_refresh:
        cmd.append("--full-refresh")
    started = time.perf_counter()
    subprocess.run(cmd, env={**os.environ, **env}, check=True)
    return time.perf_counter() - started


def run(seed: int, scale: str, as_of: date, data_dir: Path, worlds_dir: Path) -> dict[str, object]:
    """The three timings (and the ingests around them) for one world."""
    results: dict[str, object] = {"seed": seed, "scale": scale, "as_of": as_of.isoformat()}
    with running_sandbox(seed=seed, scale=scale, as_of=as_of, data_dir=worlds_dir) as sb:
        env = {**sandbox_env(sb.url, list(SYSTEM_PREFIXES)), "HUB_DATA_DIR": str(data_dir),
               "HUB_END_DATE": (as_of - timedelta(days=1)).isoformat()}
        results["ingest_full_s"] = ingest_all(env, "bench-full")
        results["dbt_full_s"] = dbt_build(env, as_of, full_refresh=True)

        next_day = as_of + timedelta(days=1)
        sb.set_clock(next_day)
        env["HUB_END_DATE"] = as_of.isoformat()
        results["ingest_next_day_s"] = ingest_all(env, "bench-next-day")
        results["dbt_incremental_s"] = dbt_build(env, next_day, full_refresh=False)
        results["dbt_unchanged_s"] = dbt_build(env, next_day, full_refresh=False)
    results["incremental_over_full"] = results["dbt_incremental_s"] / results["dbt_full_s"]
    return results


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
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-dbt-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    results = run(args.seed, args.scale, args.as_of, data_dir, args.worlds_dir)
    (data_dir / "bench-dbt-build.json").write_text(json.dumps(results, indent=2))
    sys.stdout.write(
        f"dbt build on {args.scale} (seed {args.seed}, clock {args.as_of}):\n"
        f"  full (--full-refresh)      {results['dbt_full_s']:8.2f} s\n"
        f"  incremental (clock +1 day) {results['dbt_incremental_s']:8.2f} s"
        f"  ({results['incremental_over_full']:.0%} of full)\n"
        f"  nothing changed            {results['dbt_unchanged_s']:8.2f} s\n"
        f"  (ingest: full {results['ingest_full_s']:.1f} s, next day {results['ingest_next_day_s']:.1f} s)\n"
        f"  figures in {data_dir / 'bench-dbt-build.json'}\n"
    )


if __name__ == "__main__":
    main()
