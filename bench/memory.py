"""Peak memory of a process and its children (the run and its dbt subprocess), sampled.

Two figures per sample, both kept: the largest single process (what `/usr/bin/time -v` or a
container's per-process limit sees) and the sum over the tree (what the machine must hold while
Dagster and dbt run side by side; shared library pages are counted once per process, so the sum
overstates a little).
"""

import threading
import time
from dataclasses import dataclass, field
from typing import NamedTuple

import psutil


class Sample(NamedTuple):
    at: float
    tree: int  # bytes, sum over the living tree
    largest: int  # bytes, the largest single process


@dataclass
class RssSampler:
    """Samples the resident set size of a process tree every `interval` seconds in a thread."""

    pid: int
    interval: float = 0.05
    samples: list[Sample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> "RssSampler":
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop.is_set():
            sizes = process_rss(root)
            self.samples.append(Sample(time.time(), sum(sizes), max(sizes, default=0)))
            self._stop.wait(self.interval)

    def peak_between(self, start: float, end: float) -> dict[str, int]:
        """Largest tree and largest single-process RSS sampled in [start, end]; 0 when none."""
        return _peaks([s for s in self.samples if start <= s.at <= end])

    def peak(self) -> dict[str, int]:
        """Largest tree and single-process RSS of the whole run."""
        return _peaks(self.samples)


def _peaks(samples: list[Sample]) -> dict[str, int]:
    return {"tree": max((s.tree for s in samples), default=0), "largest": max((s.largest for s in samples), default=0)}


def process_rss(root: psutil.Process) -> list[int]:
    """RSS of `root` and of each living descendant, in bytes."""
    sizes = []
    for process in [root, *root.children(recursive=True)]:
        try:
            sizes.append(process.memory_info().rss)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return sizes
