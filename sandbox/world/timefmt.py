"""Epoch seconds to the timestamp spellings each vendor uses (fast: a per-day string cache)."""

from datetime import date, datetime, timedelta, timezone

DAY = 86_400
_EPOCH = date(1970, 1, 1)
_day_cache: dict[int, str] = {}


def day_str(day_number: int) -> str:
    """'YYYY-MM-DD' of a day number (days since 1970-01-01)."""
    s = _day_cache.get(day_number)
    if s is None:
        s = (_EPOCH + timedelta(days=day_number)).isoformat()
        _day_cache[day_number] = s
    return s


def day_number(d: date) -> int:
    """Days since 1970-01-01 of a date."""
    return (d - _EPOCH).days


def epoch(d: date) -> int:
    """Epoch seconds of a date's midnight UTC."""
    return day_number(d) * DAY


_HMS = [f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}" for s in range(DAY)]


def _hms(t: int) -> str:
    return _HMS[t % DAY]


def iso_ms(t: int) -> str:
    """'2026-03-01T10:00:00.000Z': HubSpot, the world store, ShipStation created/modified times."""
    d = t // DAY
    return f"{_day_cache.get(d) or day_str(d)}T{_HMS[t % DAY]}.000Z"


def iso_s(t: int) -> str:
    """'2026-03-01T10:00:00Z': ShipStation dates."""
    return f"{day_str(t // DAY)}T{_hms(t)}Z"


def iso_7(t: int) -> str:
    """'2026-03-01T10:00:00.0000000Z': DocuSign."""
    return f"{day_str(t // DAY)}T{_hms(t)}.0000000Z"


def parse_iso(value: str) -> int:
    """Epoch seconds of an ISO timestamp or date (naive means UTC); ValueError when malformed."""
    v = value.strip().replace("Z", "+00:00")
    if len(v) == 10:
        return epoch(date.fromisoformat(v))
    # DocuSign sends 7 fractional digits; Python accepts at most 6.
    if "." in v:
        head, _, rest = v.partition(".")
        frac = "".join(ch for ch in rest if ch.isdigit())
        tz = rest[len(frac):]
        v = f"{head}.{frac[:6]}{tz}"
    dt = datetime.fromisoformat(v)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(dt.timestamp())
