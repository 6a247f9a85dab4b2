"""The benchmark's tables, printed for a person; targets from issue 8 beside the figures."""

from bench.run_once import phase_windows
from pipelines.summary import format_table

PHASES = ("ingest", "dbt build + tests", "checks", "publish")
MB = 1024 * 1024
INCREMENTAL_TARGET = 0.2  # incremental nightly at most a fifth of the full run
DEFS_LOAD_TARGET_SECONDS = 2.5
PEAK_RSS_TARGET_MB = 500


def print_report(results: dict) -> None:
    """Nightly runs by phase, ingest per stream, and the other figures, as plain tables."""
    runs = results.get("runs", [])
    print(f"\nNightly runs, {results['scale']} world (seed {results['seed']}), {results['measured_at']}")
    if "world_seconds" in results:
        print(f"sandbox world generated in {results['world_seconds']:.1f} s")
    if runs:
        print()
        print(format_table(("run", "wall s", *(f"{p} s" for p in PHASES), "start-up s", "peak RSS MB", "tree MB"),
                           [_run_row(r) for r in runs]))
        print("\nPeak RSS per phase, MB: largest single process / process tree (Dagster + dbt)\n")
        print(format_table(("run", *PHASES), [_phase_memory_row(r) for r in runs]))
        _print_ratios(runs)
        full = runs[0]
        rows = [_stream_row(name, report) for name, report in sorted(full["ingest"].items())]
        print("\nIngest per stream, full run (records/s = records / seconds of fetch + land + load)\n")
        print(format_table(("stream", "records", "pages", "requests", "seconds", "records/s"), rows))
    if "definitions_load_seconds" in results:
        loads = results["definitions_load_seconds"]
        verdict = "meets" if min(loads) < DEFS_LOAD_TARGET_SECONDS else "MISSES"
        print(f"\nDagster definitions load (cold interpreter): best {min(loads):.2f} s of {len(loads)} "
              f"({verdict} the {DEFS_LOAD_TARGET_SECONDS} s target)")


def _run_row(run: dict) -> tuple:
    windows = phase_windows(run["steps"])
    durations = [windows[p][1] - windows[p][0] if p in windows else 0.0 for p in PHASES]
    # Start-up: interpreter, definitions and run launch before the first step starts.
    first_step = min((start for start, _ in run["steps"].values()), default=run["started"])
    return (run["label"], run["ended"] - run["started"], *durations, first_step - run["started"],
            round(run["peak_rss"]["largest"] / MB), round(run["peak_rss"]["tree"] / MB))


def _phase_memory_row(run: dict) -> tuple:
    peaks = run["phase_peak_rss"]
    return (run["label"], *(f"{peaks[p]['largest'] / MB:,.0f} / {peaks[p]['tree'] / MB:,.0f}" if p in peaks else "-"
                            for p in PHASES))


def _stream_row(name: str, report: dict) -> tuple:
    seconds = float(report.get("seconds") or 0.0)
    records = int(report.get("records") or 0)
    return (name, records, int(report.get("pages") or 0), int(report.get("requests") or 0), seconds,
            records / seconds if seconds else 0.0)


def _print_ratios(runs: list[dict]) -> None:
    by_label = {run["label"]: run["ended"] - run["started"] for run in runs}
    full = by_label.get("full")
    incremental = by_label.get("incremental (+1 day)")
    if full and incremental:
        ratio = incremental / full
        verdict = "meets" if ratio <= INCREMENTAL_TARGET else "MISSES"
        print(f"\nincremental / full = {ratio:.2f} ({verdict} the {INCREMENTAL_TARGET} target)")
    single, multi = by_label.get("nothing changed"), by_label.get("nothing changed, multiprocess")
    if single and multi:
        print(f"multiprocess executor overhead on the no-op run: {multi - single:+.1f} s ({multi:.1f} s vs {single:.1f} s in process)")
    for kind, what in (("largest", "largest single process"), ("tree", "process tree, Dagster + dbt")):
        peak = max(run["peak_rss"][kind] for run in runs) / MB
        print(f"peak RSS of any run, {what}: {peak:,.0f} MB "
              f"({'meets' if peak < PEAK_RSS_TARGET_MB else 'MISSES'} the {PEAK_RSS_TARGET_MB} MB target)")
