"""Row counts and a preview of each built dbt table, read after dbt has let go of the warehouse.

dagster-dbt's own `fetch_row_counts()` opens the warehouse from this process while the dbt
process still holds it, which DuckDB refuses; so the counts are read once dbt has exited.
"""

import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import dagster as dg
import duckdb

PREVIEW_ROWS = 10
# Tables are counted; views only under models/marts (BI reads them, e.g. fct_leads), since
# counting a view re-runs its query and intermediate views are not worth that.
COUNTED_MATERIALIZATIONS = ("table", "incremental")


def is_counted(node: Mapping[str, Any]) -> bool:
    """Whether a built model gets `dagster/row_count`."""
    materialized = node.get("config", {}).get("materialized")
    return materialized in COUNTED_MATERIALIZATIONS or (materialized == "view" and node.get("fqn", [None, None])[1:2] == ["marts"])


def table_metadata(
    con: duckdb.DuckDBPyConnection, node: Mapping[str, Any], preview: bool
) -> dict[str, dg.MetadataValue]:
    """`dagster/row_count` of a built model, and with `preview` its first rows as a table."""
    if not is_counted(node):
        return {}
    relation = node["relation_name"]
    metadata: dict[str, dg.MetadataValue] = {
        "dagster/row_count": dg.MetadataValue.int(con.execute(f"select count(*) from {relation}").fetchone()[0])
    }
    if preview:
        cursor = con.execute(f"select * from {relation} limit {PREVIEW_ROWS}")
        columns = [column[0] for column in cursor.description]
        records = [
            dg.TableRecord({name: _cell(value) for name, value in zip(columns, row)}) for row in cursor.fetchall()
        ]
        metadata["preview"] = dg.MetadataValue.table(
            records=records, schema=dg.TableSchema(columns=[dg.TableColumn(name, "string") for name in columns])
        )
    return metadata


def _cell(value: Any) -> str | int | float | bool | None:
    """A preview cell: money stays exact as text, dates as ISO text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value)
