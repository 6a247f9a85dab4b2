"""The headline numbers a person reads after a run, from the published marts."""

from decimal import Decimal
from pathlib import Path

import duckdb

# mart_channel_totals holds the rules (sums over months, backlog as of the clock); this only reads it
HEADLINE_SQL = """
select channel, spend, leads, contracts_signed, booked_value, shipped_value, delivered_value, backlog_value,
    orphan_shipments
from mart_channel_totals
order by booked_value desc, channel
"""

HEADLINE_COLUMNS = ("channel", "spend", "leads", "contracts", "booked", "shipped", "delivered", "backlog", "orphans")


def headline_rows(marts_file: Path) -> list[tuple]:
    """Totals per channel over every month; backlog as of the clock (mart_channel_totals)."""
    with duckdb.connect(str(marts_file), read_only=True) as con:
        return con.execute(HEADLINE_SQL).fetchall()


def format_table(columns: tuple[str, ...], rows: list[tuple]) -> str:
    """A plain-text table with right-aligned numbers, for the terminal."""
    cells = [list(columns)] + [[_format_cell(value) for value in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = []
    for index, row in enumerate(cells):
        lines.append("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))))
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _format_cell(value: object) -> str:
    if isinstance(value, (float, Decimal)):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
