"""`python -m bench.limits`: a first sync and a nightly at the vendors' documented rate limits.

    python -m bench.limits [--scale small] [--time-scale 600]

The sandbox enforces the limits (sandbox/apis/limits.py) on a clock `--time-scale` times faster
than real time and the connectors pace themselves at the same scale; every stream runs in turn
as the nightly runs them, first into an empty warehouse, then after the sandbox clock moved one
day. Times are reported in vendor time (real seconds x the scale). Targets (issue 16): a first
sync within 24 h, each nightly within 30 minutes, at most 1.1 times the request floor on every
paged stream, fewer than 1 in 1,000 requests answered 429.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from connectors.config import HubConfig
from connectors.ingest import StreamReport, ingest_stream
from connectors.limits import request_floor
from connectors.streams import STREAMS
from pipelines.sandbox_env import SYSTEM_PREFIXES, sandbox_env
from pipelines.summary import format_table
from sandbox.server import running_sandbox
from sandbox.world import DEFAULT_AS_OF, DEFAULT_SEED

FIRST_SYNC_TARGET_S = 24 * 3600
NIGHTLY_TARGET_S = 30 * 60
FLOOR_TARGET = 1.1
THROTTLED_TARGET = 1 / 1000


def run_night(config: HubConfig, run_id: str, scale: float) -> list[tuple[StreamReport, float]]:
    """Every stream in catalogue order; each report with its vendor seconds."""
    out = []
    for name in STREAMS:
        started = time.perf_counter()
        report = ingest_stream(name, config, run_id)
        out.append((report, (time.perf_counter() - started) * scale))
    return out


def print_night(label: str, night: list[tuple[StreamReport, float]], scale: float) -> None:
    """One table per night: per stream and in all, with the targets' verdicts."""
    rows = []
    for report, vendor_s in night:
        floor = request_floor(report.stream, report.records)
        ratio = f"{report.requests / floor:.2f}" if floor else "-"
        rows.append((report.stream, report.records, report.requests, floor or "-", ratio, report.throttled,
                     report.deferred, f"{report.rate_limit_wait_seconds * scale / 60:.1f}", f"{vendor_s / 60:.1f}"))
    requests = sum(r.requests for r, _ in night)
    throttled = sum(r.throttled for r, _ in night)
    total_min = sum(s for _, s in night) / 60
    rows.append(("all", sum(r.records for r, _ in night), requests, "", "", throttled,
                 sum(r.deferred for r, _ in night), f"{sum(r.rate_limit_wait_seconds for r, _ in night) * scale / 60:.1f}",
                 f"{total_min:.1f}"))
    print(f"\n{label}\n")
    print(format_table(("stream", "records", "requests", "floor", "requests / floor", "429s", "deferred",
                        "budget wait min", "vendor min"), rows))
    worst = max((r.requests / f for r, _ in night if (f := request_floor(r.stream, r.records))), default=0.0)
    print(f"vendor time {total_min:.1f} min; worst requests/floor {worst:.2f} (target {FLOOR_TARGET}); "
          f"429s {throttled} of {requests} ({'meets' if throttled < THROTTLED_TARGET * max(requests, 1) else 'MISSES'} "
          f"the 1 in 1,000 target)")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.limits", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="small", choices=("tiny", "small", "medium", "large"))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--time-scale", type=float, default=600.0, help="vendor seconds per real second")
    parser.add_argument("--worlds-dir", type=Path, default=Path(os.environ.get("HUB_DATA_DIR", "data")) / "sandbox")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix=f"hub-bench-limits-{args.scale}-"))
    as_of = DEFAULT_AS_OF
    with running_sandbox(seed=args.seed, scale=args.scale, as_of=as_of, data_dir=args.worlds_dir,
                         time_scale=args.time_scale) as sandbox:
        env = {**os.environ, **sandbox_env(sandbox.url, list(SYSTEM_PREFIXES)), "HUB_DATA_DIR": str(work / "data"),
               "HUB_RATE_LIMIT_TIME_SCALE": str(args.time_scale),
               "HUB_END_DATE": (as_of - timedelta(days=1)).isoformat()}
        first = run_night(HubConfig.from_env(env), "first-sync", args.time_scale)
        sandbox.set_clock(as_of + timedelta(days=1))
        env["HUB_END_DATE"] = as_of.isoformat()
        nightly = run_night(HubConfig.from_env(env), "nightly", args.time_scale)
        refused = sandbox.rate_limited()
    print(f"\nAt the documented limits, {args.scale} world (seed {args.seed}), time scale {args.time_scale:g}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; 429s counted at the sandbox: {refused or 'none'}")
    print_night("First sync (empty warehouse)", first, args.time_scale)
    forecast = sum(r.first_sync_forecast_seconds or 0 for r, _ in first)
    print(f"first sync forecast from its requests at the documented limits (HubSpot, ShipStation, DocuSign; "
          f"tracking's deferred labels included): {forecast / 60:.1f} min (target {FIRST_SYNC_TARGET_S // 3600} h)")
    print_night("Nightly after one day's changes", nightly, args.time_scale)
    print(f"\n[bench] run data: {work}")


if __name__ == "__main__":
    main()
