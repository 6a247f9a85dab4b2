"""`make bench`: the nightly at scale, measured in one run and printed as tables.

    python -m bench [--scale large|medium|small|tiny] [--seed N] [--phases full,incremental,...]

Phases: `world` (generate the sandbox world), `full` (a first nightly run), `incremental` (the
sandbox clock moved one day, nightly again), `noop` (nightly with nothing changed: the fixed
floor), `executor` (the same no-op run on Dagster's multiprocess executor), `defs` (Dagster
definitions load time in a cold interpreter), `ingest` (each stream end to end next to a plain
fetch of the same pages, bench/ingest.py). Figures and how to read them: bench/README.md.
"""

import argparse
import dataclasses
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench import ingest
from bench.memory import RssSampler
from bench.report import print_report
from bench.run_once import phase_windows
from pipelines.sandbox_env import SYSTEM_PREFIXES, sandbox_env
from sandbox.server import running_sandbox
from sandbox.world import DEFAULT_AS_OF, DEFAULT_SEED

ALL_PHASES = ("world", "full", "incremental", "noop", "executor", "defs", "ingest")
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def run_nightly_child(env: dict[str, str], work_dir: Path, label: str, executor: str = "in_process",
                      profile: bool = False) -> dict:
    """One nightly in a child process, its peak RSS sampled per phase from outside.

    With `profile`, py-spy samples the child and its dbt subprocess into a flame graph
    (`<label>.svg` in the run data folder); the RSS then includes py-spy's own few MB."""
    out = work_dir / f"{label}.json"
    command = [sys.executable, "-m", "bench.run_once", "--out", str(out), "--executor", executor]
    if profile:
        flame = work_dir / f"{label}.svg"
        command = [str(Path(sys.executable).parent / "py-spy"), "record", "--subprocesses", "--rate", "50",
                   "--output", str(flame), "--", *command]
        print(f"[bench] profiling with py-spy: {flame}", flush=True)
    log_file = work_dir / f"{label}.log"
    print(f"[bench] nightly '{label}' ({executor}) ... log: {log_file}", flush=True)
    with log_file.open("w") as log:
        child = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        with RssSampler(child.pid) as sampler:
            child.wait()
    if child.returncode != 0 or not out.exists():
        raise SystemExit(f"[bench] nightly '{label}' failed (exit {child.returncode}); see {log_file}")
    result = json.loads(out.read_text())
    result["label"] = label
    result["peak_rss"] = sampler.peak()
    result["phase_peak_rss"] = {
        phase: sampler.peak_between(start, end) for phase, (start, end) in phase_windows(result["steps"]).items()
    }
    print(f"[bench] nightly '{label}' took {result['ended'] - result['started']:.1f} s", flush=True)
    return result


def definitions_load_seconds(env: dict[str, str], repeats: int = 3) -> list[float]:
    """Seconds a cold interpreter needs to import and resolve the definitions."""
    code = (
        "import time; t = time.perf_counter(); from pipelines.definitions import build_definitions; "
        "build_definitions().resolve_asset_graph(); print(time.perf_counter() - t)"
    )
    return [float(subprocess.check_output([sys.executable, "-c", code], env=env, text=True).split()[-1]) for _ in range(repeats)]


def generate_world_seconds(seed: int, scale: str, worlds_dir: Path) -> float:
    """Wall time of `python -m sandbox generate` (0 when the world already exists)."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "sandbox", "generate", "--seed", str(seed), "--scale", scale, "--data-dir", str(worlds_dir)],
        check=True,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="large", choices=("tiny", "small", "medium", "large"))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--phases", default=",".join(ALL_PHASES), help=f"comma list of {', '.join(ALL_PHASES)}")
    parser.add_argument("--worlds-dir", type=Path, default=Path(os.environ.get("HUB_DATA_DIR", "data")) / "sandbox")
    parser.add_argument("--profile", action="store_true", help="record a py-spy flame graph of each nightly run")
    parser.add_argument("--ingest-repeat", type=int, default=2, help="runs per stream in the ingest phase, fastest kept")
    args = parser.parse_args()
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = set(phases) - set(ALL_PHASES)
    if unknown:
        parser.error(f"unknown phases {sorted(unknown)}; choose from {', '.join(ALL_PHASES)}")

    results: dict[str, object] = {"scale": args.scale, "seed": args.seed, "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    args.worlds_dir.mkdir(parents=True, exist_ok=True)
    if "world" in phases:
        results["world_seconds"] = generate_world_seconds(args.seed, args.scale, args.worlds_dir)

    work_dir = Path(tempfile.mkdtemp(prefix=f"hub-bench-{args.scale}-"))
    as_of = date.fromisoformat(str(DEFAULT_AS_OF))
    with running_sandbox(seed=args.seed, scale=args.scale, as_of=as_of, data_dir=args.worlds_dir) as sandbox:
        env = {
            **os.environ,
            **sandbox_env(sandbox.url, list(SYSTEM_PREFIXES)),
            "HUB_DATA_DIR": str(work_dir / "data"),
            "DAGSTER_HOME": str(work_dir / "dagster_home"),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        Path(env["DAGSTER_HOME"]).mkdir(parents=True)
        subprocess.run([sys.executable, "-m", "pipelines", "prepare"], env=env, check=True, stdout=subprocess.DEVNULL)
        runs: list[dict] = []
        nightly = functools.partial(run_nightly_child, env, work_dir, profile=args.profile)
        if {"full", "incremental", "noop", "executor"} & set(phases):
            runs.append(nightly("full"))
        if "incremental" in phases:
            sandbox.set_clock(as_of + timedelta(days=1))
            runs.append(nightly("incremental (+1 day)"))
        if "noop" in phases or "executor" in phases:
            runs.append(nightly("nothing changed"))
        if "executor" in phases:
            runs.append(nightly("nothing changed, multiprocess", executor="multiprocess"))
        results["runs"] = runs
        if "defs" in phases:
            results["definitions_load_seconds"] = definitions_load_seconds(env)

    if "ingest" in phases:
        print("[bench] ingest: each stream end to end next to fetch-only, in a fresh sandbox", flush=True)
        rows = ingest.compare_streams(args.scale, args.seed, args.worlds_dir, repeat=args.ingest_repeat)
        results["ingest_vs_fetch_only"] = [dataclasses.asdict(row) for row in rows]

    RESULTS_DIR.mkdir(exist_ok=True)
    results_file = RESULTS_DIR / f"{args.scale}.json"
    results_file.write_text(json.dumps(results, indent=2, default=str))
    print_report(results)
    if "ingest" in phases:
        ingest.print_table(rows, args.scale)
    print(f"\n[bench] raw figures: {results_file}; run data: {work_dir}")


if __name__ == "__main__":
    main()
