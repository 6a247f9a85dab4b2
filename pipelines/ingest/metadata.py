"""A stream's ingest report as typed Dagster metadata: what the UI shows for each load."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
import duckdb

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


# How many quarantined records the asset's metadata previews; the full list is the table itself.
QUARANTINE_PREVIEW_ROWS = 10
# The preview names each record and why it was refused, never its payload: the payload of a
# CRM record holds names and emails, and metadata is shown to everyone who opens the UI.
_QUARANTINE_PREVIEW_SQL = (
    "select pk, reason, run_id, quarantined_at from raw._quarantine where stream = ? "
    "order by quarantined_at desc, pk limit ?"
)


def raw_table_metadata(con: duckdb.DuckDBPyConnection, stream: str) -> dict[str, dg.MetadataValue]:
    """What dagster-dbt shows for a model, for `raw.<stream>`: table name, total rows, column schema."""
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'raw' and table_name = ? order by ordinal_position",
        [stream],
    ).fetchall()
    if not columns:  # nothing loaded yet (a first run that fetched nothing)
        return table_name_metadata(stream)
    rows = con.execute(f'select count(*) from raw."{stream}"').fetchone()[0]
    schema = dg.TableSchema(columns=[dg.TableColumn(name, kind.lower()) for name, kind in columns])
    return {
        **table_name_metadata(stream),
        "dagster/row_count": dg.MetadataValue.int(rows),
        "dagster/column_schema": dg.MetadataValue.table_schema(schema),
    }


def table_name_metadata(stream: str) -> dict[str, dg.MetadataValue]:
    """`dagster/table_name` (Dagster's standard key, as dagster-dbt sets it) for `raw.<stream>`."""
    return {"dagster/table_name": dg.MetadataValue.text(f"raw.{stream}")}


def quarantine_metadata(con: duckdb.DuckDBPyConnection, stream: str) -> dict[str, dg.MetadataValue]:
    """The stream's quarantined records in `raw._quarantine`: how many in all, and the latest as markdown."""
    total = con.execute("select count(*) from raw._quarantine where stream = ?", [stream]).fetchone()[0]
    rows = con.execute(_QUARANTINE_PREVIEW_SQL, [stream, QUARANTINE_PREVIEW_ROWS]).fetchall()
    return {
        "quarantined_total": dg.MetadataValue.int(total),
        "quarantine_table": dg.MetadataValue.text("raw._quarantine"),
        "quarantine_preview": dg.MetadataValue.md(quarantine_markdown(rows, total)),
    }


def quarantine_markdown(rows: list[tuple], total: int) -> str:
    """A markdown table of quarantined records (record id, reason, run, when), latest first."""
    if not rows:
        return "No quarantined records."
    lines = ["| record | reason | run | quarantined at |", "|---|---|---|---|"]
    for pk, reason, run_id, at in rows:
        cells = [str(pk or "(no id)"), str(reason), str(run_id)[:8], str(at)[:19]]
        lines.append("| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in cells) + " |")
    if total > len(rows):
        lines.append(f"\n{len(rows)} of {total} shown; the rest are in `raw._quarantine` (stream, pk, reason).")
    return "\n".join(lines)
