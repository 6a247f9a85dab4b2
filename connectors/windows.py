"""Cursor windows as pure functions: which dates or times the next run must ask for."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta, timezone


def restatement_window(cursor: str | None, restatement_days: int, start: date, end: date) -> tuple[date, date] | None:
    """(since, until) inclusive dates to (re)fetch for a dated stream; None when nothing to ask.

    With no cursor everything from `start`; else the last `restatement_days` days before the
    cursor again (the vendor may still restate them) and everything after it.
    """
    since = start
    if cursor:
        since = max(start, date.fromisoformat(cursor[:10]) - timedelta(days=restatement_days))
    if since > end:
        return None
    return since, end


def next_chunk_days(days_asked: int, answer_bytes: int, target_bytes: int, most_days: int) -> int:
    """How many days to ask for next so one answer stays near `target_bytes`, from the size of the
    answer to the last `days_asked` days; between 1 and `most_days`."""
    if answer_bytes <= 0:
        return most_days
    return max(1, min(most_days, target_bytes * days_asked // answer_bytes))


def parse_timestamp(value: str) -> datetime:
    """A vendor's ISO timestamp (Z or offset, up to 7 fractional digits, or a date) as aware UTC."""
    v = value.strip().replace("Z", "+00:00")
    if len(v) == 10:
        return datetime.fromisoformat(v).replace(tzinfo=timezone.utc)
    if "." in v:
        head, _, rest = v.partition(".")
        digits = "".join(itertools.takewhile(str.isdigit, rest))
        v = f"{head}.{digits[:6].ljust(6, '0')}{rest[len(digits):]}"
    parsed = datetime.fromisoformat(v)
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)


def iso_z(moment: datetime) -> str:
    """'2026-03-01T10:00:00.000Z': the UTC spelling every vendor here accepts in filters."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def overlap_start(cursor: str | None, overlap_minutes: int, start: date) -> str:
    """The `from` timestamp of a modified-time stream: cursor minus an overlap, or `start`."""
    if not cursor:
        return iso_z(datetime(start.year, start.month, start.day, tzinfo=timezone.utc))
    return iso_z(parse_timestamp(cursor) - timedelta(minutes=overlap_minutes))
