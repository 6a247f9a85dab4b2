"""A stream's ingest report as typed Dagster metadata: what the UI shows for each load."""

from collections.abc import Mapping
from typing import Any

import dagster as dg

# Report fields with a better type than their Python value suggests; the rest map by value type,
# so a field the connectors add later still shows up without a change here.
_FIELD_TYPES = {
    "seconds": lambda v: dg.MetadataValue.float(float(v)),
    "rate_limit_wait_seconds": lambda v: dg.MetadataValue.float(float(v)),
    "requests_per_1000_records": lambda v: dg.MetadataValue.float(float(v)),
    "floor_per_1000_records": lambda v: dg.MetadataValue.float(float(v)),
    "first_sync_forecast_seconds": lambda v: dg.MetadataValue.float(float(v)),
    "landing_dir": lambda v: dg.MetadataValue.path(str(v)),
}
# Fields the UI should list first, in this order: the load's counts, then its cost (requests against the
# floor of the largest pages, time waited for the vendor's budget, a first sync's forecast in vendor seconds).
_ORDER = (
    "records", "inserted", "updated", "unchanged", "quarantined", "pages", "requests", "retries",
    "rate_limit_wait_seconds", "throttled", "requests_per_1000_records", "floor_per_1000_records",
    "first_sync_forecast_seconds", "deferred", "cursor_before", "cursor_after", "seconds",
)


def report_metadata(report: Mapping[str, Any]) -> dict[str, dg.MetadataValue]:
    """`StreamReport.as_metadata()` typed for the UI; `stream` is dropped (the asset key says it)."""
    fields = {name: value for name, value in report.items() if name != "stream"}
    ordered = [name for name in _ORDER if name in fields] + sorted(set(fields) - set(_ORDER))
    return {name: _typed(name, fields[name]) for name in ordered}


def _typed(name: str, value: Any) -> dg.MetadataValue:
    if value is None:
        return dg.MetadataValue.text("(none)")
    if name in _FIELD_TYPES:
        return _FIELD_TYPES[name](value)
    if isinstance(value, bool):
        return dg.MetadataValue.bool(value)
    if isinstance(value, int):
        return dg.MetadataValue.int(value)
    if isinstance(value, float):
        return dg.MetadataValue.float(value)
    return dg.MetadataValue.text(str(value))
