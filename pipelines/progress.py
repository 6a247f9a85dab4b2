"""What `python -m pipelines nightly` shows while a run goes: one line per stream (fetch and load), one
for dbt, one for publishing, one for the other checks; a failed step's first line, with its fix, at the end.

Everything else a run says (Dagster's events, dbt's node lines, the sandbox, warnings) goes to a log
file whose path the command prints (`terminal_and_log`), so the terminal stays short and no line
shows twice.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import dagster as dg

# The steps that are not streams, as the progress view names them.
PHASES = {"hub_dbt_models": "dbt", "published_marts": "publish"}
CHECKS = "checks"
NAME_WIDTH = 26  # the first column; wider when a configured stream's name is longer (Salesforce's)


@dataclass
class StepTally:
    """What one step did so far: assets materialised, checks passed and failed, when it started."""

    started: float | None = None
    assets: int = 0
    passed: int = 0
    failed: int = 0
    row_counts: Mapping[str, int] | None = None  # what a publishing step says it published


@dataclass
class Progress:
    """Turns a run's Dagster events into the few lines a person reads; every line is printed once."""

    out: TextIO
    streams: frozenset[str]
    steps: dict[str, StepTally] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    printed: set[str] = field(default_factory=set)

    @property
    def width(self) -> int:
        """The first column's width: the longest name it shows."""
        return max([NAME_WIDTH, *map(len, self.streams)])

    def say(self, line: str) -> None:
        """Print `line` unless it was printed already."""
        if line not in self.printed:
            self.printed.add(line)
            print(line, file=self.out, flush=True)

    def on_event(self, event: dg.DagsterEvent, timestamp: float) -> None:
        """Tally one event; print the line a finished step or a failure deserves."""
        step = event.step_key or ""
        tally = self.steps.setdefault(step, StepTally())
        kind = event.event_type_value
        if kind == "STEP_START":
            tally.started = timestamp
        elif kind == "ASSET_MATERIALIZATION":
            tally.assets += 1
            metadata = _values(event.event_specific_data.materialization.metadata)
            if step in self.streams:
                self.say(stream_line(step, metadata, self.width))
            elif isinstance(metadata.get("row_counts"), Mapping):
                tally.row_counts = metadata["row_counts"]
        elif kind == "ASSET_CHECK_EVALUATION":
            if event.event_specific_data.passed:
                tally.passed += 1
            else:
                tally.failed += 1
        elif kind == "STEP_SUCCESS" and step in PHASES:
            self.say(phase_line(PHASES[step], tally, timestamp, self.width))
        elif kind == "STEP_FAILURE":
            self.failures.append(failure_line(event))
            self.say(f"  {step:<{self.width}} FAILED (the reason follows the run)")
        elif kind in ("RUN_SUCCESS", "RUN_FAILURE"):  # the checks that ran as steps of their own
            others = [t for name, t in self.steps.items() if name and name not in self.streams and name not in PHASES]
            passed, failed = sum(t.passed for t in others), sum(t.failed for t in others)
            if passed or failed:
                self.say(f"  {CHECKS:<{self.width}} {passed} passed, {failed} failed")

    def logger(self) -> dg.LoggerDefinition:
        """A Dagster logger handing every event of the run to `on_event`."""
        progress = self

        class Handler(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                meta = getattr(record, "dagster_meta", None) or {}
                event = meta.get("dagster_event")
                if event is not None:
                    progress.on_event(event, record.created)

        def build(_: Any) -> logging.Logger:
            logger = logging.Logger("hub.progress", level=logging.DEBUG)
            logger.addHandler(Handler(level=logging.DEBUG))
            return logger

        return dg.LoggerDefinition(build, description="the progress view of `python -m pipelines nightly`")


def _values(metadata: Mapping[str, Any]) -> dict[str, Any]:
    return {name: getattr(value, "value", value) for name, value in metadata.items()}


def stream_line(stream: str, report: Mapping[str, Any], width: int = NAME_WIDTH) -> str:
    """`  hubspot__contacts  fetch 4 pages 231 records 0.4s | load 231 new ...`: one stream's two phases."""
    seconds = float(report.get("seconds") or 0)
    fetch = float(report.get("fetch_seconds") or 0)
    return (
        f"  {stream:<{width}} fetch {report.get('pages', 0):>5,} pages {report.get('records', 0):>8,} records "
        f"{fetch:6.1f}s | load {report.get('inserted', 0):>7,} new {report.get('updated', 0):>7,} updated "
        f"{report.get('quarantined', 0):>4,} quarantined {seconds - fetch:5.1f}s"
    )


def phase_line(phase: str, tally: StepTally, finished: float, width: int = NAME_WIDTH) -> str:
    """`  dbt   46 models, 80 tests passed, 0 failed  18.2s` or `  publish   12 tables, 3,456 rows  1.1s`."""
    took = finished - tally.started if tally.started is not None else 0.0
    if tally.row_counts is not None:
        done = f"{len(tally.row_counts)} tables, {sum(tally.row_counts.values()):,} rows"
    else:
        done = f"{tally.assets} models"
    tests = f", {tally.passed} tests passed, {tally.failed} failed" if tally.passed or tally.failed else ""
    return f"  {phase:<{width}} {done}{tests}  {took:.1f}s"


def failure_line(event: dg.DagsterEvent) -> str:
    """The first line of a failed step's error: a stream's failure names the stream, the reason and the fix
    (pipelines/ingest/failure.py); any other step's is prefixed with the step."""
    data = event.event_specific_data
    described = data.user_failure_data.description if data.user_failure_data else None
    error = data.error
    while error is not None and error.cause is not None and not described:
        error = error.cause  # the user code's own error, not Dagster's wrapper
    first = first_line(described or (error.message if error is not None else ""))
    step = event.step_key or "the run"
    return first if first.startswith(f"{step} ") else f"{step}: {first}"


# dagster-dbt's failure opens with the command and lists dbt's own errors after this line.
DBT_ERRORS = "Errors parsed from dbt logs:"
DBT_FIX = "Fix: correct that model or test (dbt_project/), then run again; dbt's full output is in the log"


def first_line(text: str) -> str:
    """What a person needs first from an error's text: for a dbt build, dbt's first error (the node,
    then the reason) and the fix; otherwise the text's first line."""
    if DBT_ERRORS in text:
        errors = [line.strip() for line in text.split(DBT_ERRORS, 1)[1].splitlines() if line.strip()]
        return f"{' '.join(errors[:2])}. {DBT_FIX}" if errors else DBT_FIX
    return next((line.strip() for line in text.splitlines() if line.strip()), "no reason given")


def log_path(data_dir: Path, command: str, stamp: str) -> Path:
    """Where a command's full output goes: `<data dir>/logs/<command>-<UTC time>.log`."""
    folder = data_dir / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{command}-{stamp}.log"


@contextlib.contextmanager
def terminal_and_log(path: Path, verbose: bool = False) -> Iterator[TextIO]:
    """Send this process's stdout and stderr (and its children's, at the file descriptors) to `path`;
    yield a stream to the terminal for the progress view. With `verbose` stdout (dbt's node lines)
    stays on the terminal too."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    terminal = os.fdopen(os.dup(1), "w", buffering=1)
    with path.open("ab") as log:
        for fd in (2,) if verbose else (1, 2):
            os.dup2(log.fileno(), fd)
    try:
        yield terminal
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        for fd, copy in saved.items():
            os.dup2(copy, fd)
            os.close(copy)
        terminal.close()
