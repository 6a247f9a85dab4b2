"""Peak memory of a process and its children (the run and its dbt subprocess), sampled."""

import threading
import time
from dataclasses import dataclass, field

import psutil


@dataclass
class RssSampler:
    """Samples the resident set size of a process tree every `interval` seconds in a thread."""

    pid: int
    interval: float = 0.05
    samples: list[tuple[float, int]] = field(default_factory=list)
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
            self.samples.append((time.time(), tree_rss(root)))
            self._stop.wait(self.interval)

    def peak_between(self, start: float, end: float) -> int:
        """Largest sample taken in [start, end] (wall-clock seconds); 0 when none."""
        return max((rss for at, rss in self.samples if start <= at <= end), default=0)

    def peak(self) -> int:
        """Largest sample of the whole run."""
        return max((rss for _, rss in self.samples), default=0)


def tree_rss(root: psutil.Process) -> int:
    """RSS of `root` plus all its living descendants, in bytes."""
    total = 0
    for process in [root, *root.children(recursive=True)]:
        try:
            total += process.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total
