"""Benchmark: the project's own DuckDB table/incremental/test materializations against dbt-duckdb's.

The project overrides dbt-duckdb's materializations (dbt_project/macros/materializations.sql) to send
fewer statements per model. Issue 17 keeps them only if they save more than 10% of a nightly. This
builds the same raw tables with both: the project as it is, and a copy of it whose
`materialization` blocks are removed (everything else, hooks and helper macros included, the same).
Each side runs `bench.dbt_build`'s three builds (full, incremental after a day, unchanged) from the
same raw snapshots. The nightly is the next day's ingest plus the incremental build (publishing
is the same either way). Run: `.venv/bin/python -m bench.materializations --scale small`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

from bench.dbt_build import PHASES, PROJECT_DIR, run

MATERIALIZATION = re.compile(r"\{% materialization \w+, adapter='duckdb' %\}.*?\{% endmaterialization %\}", re.S)


def stock_project(dest: Path) -> Path:
    """A copy of the dbt project that builds with dbt-duckdb's own materializations."""
    shutil.copytree(PROJECT_DIR, dest, ignore=shutil.ignore_patterns("target", "dbt_packages", "logs"))
    macros = dest / "macros" / "materializations.sql"
    text, removed = MATERIALIZATION.subn("", macros.read_text())
    if removed != 3:  # table, incremental, test
        raise SystemExit(f"expected 3 DuckDB materializations in {macros}, found {removed}: update the bench")
    macros.write_text(text)
    return dest


def compare(own: dict, stock: dict, ingest_next_day_s: float) -> str:
    """The figures side by side, and the share of a nightly the project's own save."""
    lines = [f"  {'build':22}{'own wall s':>12}{'stock wall s':>14}{'own CPU s':>11}{'stock CPU s':>13}{'saved':>8}"]
    for phase in PHASES:
        o, s = own[f"dbt_{phase}_s"], stock[f"dbt_{phase}_s"]
        lines.append(f"  {phase:22}{o:12.2f}{s:14.2f}{own[f'dbt_{phase}_cpu_s']:11.2f}"
                     f"{stock[f'dbt_{phase}_cpu_s']:13.2f}{(s - o) / s:8.1%}")
    nightly = ingest_next_day_s + stock["dbt_incremental_s"]
    saved = (stock["dbt_incremental_s"] - own["dbt_incremental_s"]) / nightly
    lines.append(f"  nightly (next day's ingest {ingest_next_day_s:.2f} s + incremental build): "
                 f"the project's own save {saved:.1%} of it (keep them above 10%)")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Run both sides from the same raw snapshots, print the table and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", default="small", choices=["tiny", "small", "medium", "large"])
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 1))
    parser.add_argument("--worlds-dir", type=Path, default=Path(os.environ.get("HUB_DATA_DIR", "data")) / "sandbox")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-materializations-"))
    snapshots = work / "raw"
    stock_dir = stock_project(work / "stock_project")
    for side in ("ingest", "stock", "own"):
        (work / side).mkdir()
    args_ = (args.seed, args.scale, args.as_of)
    first = run(*args_, work / "ingest", args.worlds_dir, snapshots, ["--exclude-resource-type", "unit_test"])
    # both sides measured from the snapshots, one after the other, as the nightly builds
    stock = run(*args_, work / "stock", args.worlds_dir, snapshots, ["--exclude-resource-type", "unit_test"],
                project_dir=stock_dir)
    own = run(*args_, work / "own", args.worlds_dir, snapshots, ["--exclude-resource-type", "unit_test"])
    figures = {"own": own, "stock": stock, "ingest_next_day_s": first["ingest_next_day_s"],
               "load_average_1m": os.getloadavg()[0]}
    (work / "bench-materializations.json").write_text(json.dumps(figures, indent=2))
    sys.stdout.write(
        f"dbt build on {args.scale} (seed {args.seed}, clock {args.as_of}), project's own materializations"
        f" against dbt-duckdb's:\n" + compare(own, stock, first["ingest_next_day_s"])
        + f"  (load average {figures['load_average_1m']:.1f} on {os.cpu_count()} cores; figures in"
        f" {work / 'bench-materializations.json'})\n")


if __name__ == "__main__":
    main()
