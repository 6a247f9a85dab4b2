"""Connector throughput: records/s per stream end to end, next to a fetch-only loop of the same pages.

    python -m bench.ingest [--scale small|medium|large] [--seed 1] [--streams a,b] [--world-dir DIR] [--repeat N]

From code (e.g. `make bench`): `print_table(compare_streams("large", world_dir=Path("/tmp/worlds")), "large")`.

For each stream, in one run against the sandbox (a subprocess, so its memory is not counted):
1. a warm-up ingest that records every request the connector made (same pages, warm caches);
2. fetch only: plain httpx replaying those requests with the connector's own concurrency and
   prefetch (threads sending them, `TRACK_CONCURRENCY` for tracking's independent per-label
   requests, one for a listing whose next request needs the previous answer; the bodies handed to
   the caller through a queue of `PREFETCH_PAGES`, as pagination.iter_pages does), bodies downloaded
   and nothing else (no parsing, no landing, no loading);
3. end to end: `ingest_stream` into a fresh warehouse (fetch, land, stage, merge, cursor).
Steps 2 and 3 alternate `--repeat` times and each keeps its fastest run: on a shared machine the
fastest run is the one least disturbed by others, for both sides alike. The ratio is end-to-end
records/s over fetch-only records/s (target >= 0.6); `tail s` is the part of the end-to-end time
after the last page arrived (staging the last batch, then the merge under the warehouse lock);
`cpu s` is the connector's CPU time (all threads, DuckDB's included) for the run shown. Each
end-to-end run is a fresh interpreter, so its peak RSS (VmHWM, dependencies' ingests
included) is the connector's own: not the bench's recorded requests, not the sandbox server.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from connectors.config import HubConfig
from connectors.ingest import ingest_stream
from connectors.pagination import PREFETCH_PAGES
from connectors.streams import STREAMS
from connectors.systems.shipstation import TRACK_CONCURRENCY
from pipelines.sandbox_env import SYSTEM_PREFIXES, sandbox_env
from sandbox.server import running_sandbox
from sandbox.world import DEFAULT_SEED

MB = 1024 * 1024
# Requests the connector has in flight at once, by stream (others: one, each after the previous answer).
CONCURRENCY = {"shipstation__tracking": TRACK_CONCURRENCY}


@dataclass(frozen=True)
class Recorded:
    """One request as the connector sent it."""

    method: str
    url: str
    headers: dict[str, str]
    content: bytes


class RecordingTransport(httpx.HTTPTransport):
    """An HTTP transport that remembers every request it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[Recorded] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(Recorded(request.method, str(request.url), dict(request.headers), request.read()))
        return super().handle_request(request)


@dataclass(frozen=True)
class Row:
    """One stream's figures."""

    stream: str
    records: int
    pages: int
    requests: int
    e2e_seconds: float
    tail_seconds: float
    e2e_cpu: float
    fetch_seconds: float
    fetch_cpu: float
    peak_rss: int

    @property
    def e2e_rate(self) -> float:
        return self.records / self.e2e_seconds if self.e2e_seconds else 0.0

    @property
    def fetch_rate(self) -> float:
        return self.records / self.fetch_seconds if self.fetch_seconds else 0.0


def fetch_only(requests: list[Recorded], concurrency: int = 1) -> tuple[float, float]:
    """(seconds, CPU seconds of this process) to download the bodies of `requests`: `concurrency`
    threads send them in turn and hand each body over through a queue of PREFETCH_PAGES, which
    this thread drains, as the connector's fetcher threads and its caller do."""
    pending = iter(requests)
    lock = threading.Lock()
    handover: queue.Queue[bytes | None] = queue.Queue(maxsize=PREFETCH_PAGES)

    def send(client: httpx.Client) -> None:
        while True:
            with lock:
                r = next(pending, None)
            if r is None:
                handover.put(None)
                return
            handover.put(client.request(r.method, r.url, headers=r.headers, content=r.content or None).read())

    with httpx.Client(timeout=60) as client:
        started, cpu = time.perf_counter(), time.process_time()
        senders = [threading.Thread(target=send, args=(client,)) for _ in range(concurrency)]
        for sender in senders:
            sender.start()
        running = concurrency
        while running:
            if handover.get() is None:
                running -= 1
        for sender in senders:
            sender.join()
        return time.perf_counter() - started, time.process_time() - cpu


def peak_rss() -> int:
    """This process's peak resident set size so far, in bytes.

    VmHWM, not `ru_maxrss`: Linux carries ru_maxrss over from the parent at fork, so a child's
    would start at the bench's own size.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@dataclass(frozen=True)
class EndToEnd:
    """One end-to-end ingest, as measured inside its own process."""

    records: int
    pages: int
    requests: int
    seconds: float
    tail_seconds: float
    cpu_seconds: float
    peak_rss: int


def end_to_end(name: str, env: dict[str, str], data_dir: Path) -> EndToEnd:
    """One ingest of `name` into a fresh warehouse, in a fresh interpreter so its peak RSS is its own."""
    shutil.rmtree(data_dir, ignore_errors=True)
    child = subprocess.run(
        [sys.executable, "-m", "bench.ingest", "--child", name],
        env={**env, "HUB_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        check=False,
    )
    if child.returncode != 0:
        raise SystemExit(f"[bench] end-to-end ingest of {name} failed:\n{child.stderr[-3000:]}")
    return EndToEnd(**json.loads(child.stdout.splitlines()[-1]))


def child_end_to_end(name: str) -> None:
    """In the child: dependencies first (untimed), then the timed ingest; prints one JSON line."""
    config = HubConfig.from_env()
    for dependency in STREAMS[name].depends_on:  # tracking needs labels, associations need deals
        ingest_stream(dependency, config, "measured")
    fetched_at: list[float] = []

    def on_progress(message: str) -> None:
        if message.startswith(f"{name}: fetched") and " requests" in message:  # the last page is in
            fetched_at.append(time.perf_counter())

    started, cpu = time.perf_counter(), time.process_time()
    report = ingest_stream(name, config, "measured", on_progress)
    ended = time.perf_counter()
    result = EndToEnd(report.records, report.pages, report.requests, ended - started, ended - fetched_at[0],
                      time.process_time() - cpu, peak_rss())
    print(json.dumps(result.__dict__))


def measure(name: str, env: dict[str, str], work: Path, repeat: int) -> Row:
    """Warm-up with recording, then alternating fetch-only and end-to-end runs of one stream."""
    warm = HubConfig.from_env({**env, "HUB_DATA_DIR": str(work / "warm")})
    for dependency in STREAMS[name].depends_on:
        ingest_stream(dependency, warm, "warm")
    recorder = RecordingTransport()
    ingest_stream(name, warm, "warm", transport=recorder)
    shutil.rmtree(work / "warm")
    fetches: list[tuple[float, float]] = []
    runs: list[EndToEnd] = []
    for _ in range(repeat):
        fetches.append(fetch_only(recorder.requests, CONCURRENCY.get(name, 1)))
        runs.append(end_to_end(name, env, work / "measured"))
    shutil.rmtree(work / "measured")
    best = min(runs, key=lambda run: run.seconds)
    fetch_seconds, fetch_cpu = min(fetches)
    return Row(name, best.records, best.pages, best.requests, best.seconds, best.tail_seconds, best.cpu_seconds,
               fetch_seconds, fetch_cpu, max(run.peak_rss for run in runs))


def format_row(r: Row) -> str:
    """One stream's line of the table."""
    ratio = r.e2e_rate / r.fetch_rate if r.fetch_rate else 0.0
    return (
        f"{r.stream:<28}{r.records:>9}{r.pages:>7}{r.requests:>6}{r.e2e_seconds:>8.2f}{r.tail_seconds:>8.2f}{r.e2e_cpu:>7.2f}{r.e2e_rate:>11,.0f}"
        f"{r.fetch_seconds:>9.2f}{r.fetch_cpu:>7.2f}{r.fetch_rate:>13,.0f}{ratio:>7.2f}{r.peak_rss / MB:>13.0f}"
    )


def print_table(rows: list[Row], scale: str) -> None:
    """The figures as a fixed-width table."""
    header = f"{'stream':<28}{'records':>9}{'pages':>7}{'reqs':>6}{'e2e s':>8}{'tail s':>8}{'cpu s':>7}{'e2e rec/s':>11}{'fetch s':>9}{'cpu s':>7}{'fetch rec/s':>13}{'ratio':>7}{'peak RSS MB':>13}"
    print(f"\nconnectors on the {scale} world (load average at the end: {os.getloadavg()[0]:.1f})")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(format_row(r))
    records = sum(r.records for r in rows)
    e2e = sum(r.e2e_seconds for r in rows)
    fetch = sum(r.fetch_seconds for r in rows)
    print("-" * len(header))
    print(
        f"{'all streams':<28}{records:>9}{sum(r.pages for r in rows):>7}{sum(r.requests for r in rows):>6}"
        f"{e2e:>8.2f}{sum(r.tail_seconds for r in rows):>8.2f}{sum(r.e2e_cpu for r in rows):>7.2f}{records / e2e:>11,.0f}"
        f"{fetch:>9.2f}{sum(r.fetch_cpu for r in rows):>7.2f}{records / fetch:>13,.0f}{(fetch / e2e):>7.2f}"
        f"{max(r.peak_rss for r in rows) / MB:>13.0f}"
    )


def compare_streams(
    scale: str = "small",
    seed: int = DEFAULT_SEED,
    world_dir: Path | None = None,
    streams: list[str] | None = None,
    repeat: int = 3,
    on_row: Callable[[Row], None] | None = None,
) -> list[Row]:
    """Start a sandbox on the `scale` world and measure `streams` (default: all), one Row each.

    `world_dir` is where the sandbox keeps its worlds (a complete one is reused); `on_row` sees
    each stream's row as soon as it is measured (a long run that dies still leaves figures).
    """
    names = list(streams) if streams else list(STREAMS)
    # Our own throughput: the sandbox without its rate limits, the budget's documented pace at the
    # highest time scale allowed, every delivered label tracked (no nightly request budget);
    # bench/limits.py measures the hub at the vendors' limits.
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp, running_sandbox(
        seed=seed, scale=scale, data_dir=world_dir, limits=False
    ) as sb:
        env = {**os.environ, **sandbox_env(sb.url, list(SYSTEM_PREFIXES)), "HUB_START_DATE": "2025-10-01",
               "HUB_RATE_LIMIT_TIME_SCALE": "100000", "HUB_SHIPSTATION_TRACKING_REQUESTS_PER_NIGHT": "0"}
        rows = []
        for name in names:
            rows.append(measure(name, env, Path(tmp) / name, repeat))
            if on_row is not None:
                on_row(rows[-1])
        return rows


def main() -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--streams", default=",".join(STREAMS))
    parser.add_argument("--world-dir", default=None, help="where the sandbox keeps its worlds (reuses a complete one)")
    parser.add_argument("--repeat", type=int, default=3, help="fetch-only and end-to-end runs per stream (fastest kept)")
    parser.add_argument("--child", metavar="STREAM", help=argparse.SUPPRESS)  # one end-to-end run, internal
    args = parser.parse_args()
    if args.child:
        child_end_to_end(args.child)
        return
    rows = compare_streams(
        args.scale,
        args.seed,
        Path(args.world_dir) if args.world_dir else None,
        [n for n in args.streams.split(",") if n],
        args.repeat,
        on_row=lambda row: print(f"[bench] {format_row(row)}", flush=True),
    )
    print_table(rows, args.scale)


if __name__ == "__main__":
    main()
