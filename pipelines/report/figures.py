"""The report's numbers, read from the published marts file only (never the warehouse)."""

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

from pipelines.publish.marts_file import Snapshot, snapshot_of


@dataclass(frozen=True)
class MonthFigures:
    """One month's totals over every channel."""

    month: date
    booked_value: Decimal
    shipped_value: Decimal
    delivered_value: Decimal
    backlog_value: Decimal


@dataclass(frozen=True)
class ChannelFigures:
    """One channel's totals over every month, with its rates, as mart_channel_totals holds them."""

    channel: str
    spend: Decimal
    leads: int
    deals: int
    contracts_signed: int
    booked_value: Decimal
    shipped_value: Decimal
    fulfilment_rate: float | None  # shipped / booked over all months
    shipped_on_time_rate: float | None  # due contracts fully shipped by their promised date / due contracts
    delivered_on_time_rate: float | None  # due contracts fully delivered by their promised date / due contracts


@dataclass(frozen=True)
class ReportFigures:
    """Everything the report draws, from one snapshot."""

    snapshot: Snapshot
    months: list[MonthFigures]
    channels: list[ChannelFigures]


# The rules behind these figures live in the dbt marts (mart_sales_vs_fulfilment, mart_channel_totals):
# the report only sums additive columns across channels and orders rows.
MONTHS_SQL = """
select month, sum(booked_value), sum(shipped_value), sum(delivered_value), sum(backlog_value)
from mart_sales_vs_fulfilment group by month order by month
"""

CHANNELS_SQL = f"""
select {", ".join(field.name for field in fields(ChannelFigures))}
from mart_channel_totals order by booked_value desc, channel
"""


def read_figures(marts_file: Path) -> ReportFigures:
    """Read the report's figures from `marts_file`, read-only, in one connection (one snapshot)."""
    with duckdb.connect(str(marts_file), read_only=True) as con:
        months = [MonthFigures(*row) for row in con.execute(MONTHS_SQL).fetchall()]
        channels = [ChannelFigures(*row) for row in con.execute(CHANNELS_SQL).fetchall()]
        return ReportFigures(snapshot_of(con), months, channels)
