"""A small markdown preview of the published marts for the asset's metadata in the Dagster UI."""

from pathlib import Path

import duckdb

PREVIEW_SQL = """
select strftime(month, '%Y-%m') as month, channel, booked_value, shipped_value, delivered_value,
    backlog_value, contracts_signed, unshipped_contracts, orphan_shipments
from mart_sales_vs_fulfilment
where month = (select max(month) from mart_sales_vs_fulfilment)
order by booked_value desc, channel
"""


def sales_vs_fulfilment_preview(marts_file: Path) -> str:
    """The latest month of `mart_sales_vs_fulfilment` by channel, as a markdown table."""
    with duckdb.connect(str(marts_file), read_only=True) as con:
        cursor = con.execute(PREVIEW_SQL)
        columns = [description[0] for description in cursor.description]
        rows = cursor.fetchall()
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join("" if value is None else str(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)
