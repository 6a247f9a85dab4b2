"""The report's numbers, read from the published marts file only (never the warehouse)."""

from dataclasses import dataclass
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
    """One channel's totals over every month, with its rates."""

    channel: str
    spend: Decimal
    leads: int
    deals: int
    contracts_signed: int
    booked_value: Decimal
    shipped_value: Decimal
    fulfilment_rate: float | None  # shipped / booked over all months
    on_time_rate: float | None  # contracts fully shipped by their promised date / contracts with one


@dataclass(frozen=True)
class ReportFigures:
    """Everything the report draws, from one snapshot."""

    snapshot: Snapshot
    months: list[MonthFigures]
    channels: list[ChannelFigures]


MONTHS_SQL = """
select month, sum(booked_value), sum(shipped_value), sum(delivered_value), sum(backlog_value)
from mart_sales_vs_fulfilment group by month order by month
"""

# On-time is per contract (mart_contract_fulfilment); everything else sums the monthly mart.
CHANNELS_SQL = """
with monthly as (
    select channel, sum(spend) as spend, sum(leads) as leads, sum(deals) as deals,
        sum(contracts_signed) as contracts_signed, sum(booked_value) as booked_value,
        sum(shipped_value) as shipped_value
    from mart_sales_vs_fulfilment group by channel
),
on_time as (
    select channel, avg(case when is_on_time then 1.0 else 0.0 end) as on_time_rate
    from mart_contract_fulfilment where promised_delivery_date is not null group by channel
)
select monthly.channel, spend, leads, deals, contracts_signed, booked_value, shipped_value,
    case when booked_value > 0 then shipped_value / booked_value end, on_time.on_time_rate
from monthly left join on_time using (channel)
order by booked_value desc, monthly.channel
"""


def read_figures(marts_file: Path) -> ReportFigures:
    """Read the report's figures from `marts_file`, read-only, in one connection (one snapshot)."""
    with duckdb.connect(str(marts_file), read_only=True) as con:
        months = [MonthFigures(*row) for row in con.execute(MONTHS_SQL).fetchall()]
        channels = [
            ChannelFigures(
                channel=row[0],
                spend=row[1] or Decimal(0),
                leads=int(row[2] or 0),
                deals=int(row[3] or 0),
                contracts_signed=int(row[4] or 0),
                booked_value=row[5] or Decimal(0),
                shipped_value=row[6] or Decimal(0),
                fulfilment_rate=None if row[7] is None else float(row[7]),
                on_time_rate=row[8],
            )
            for row in con.execute(CHANNELS_SQL).fetchall()
        ]
        return ReportFigures(snapshot_of(con), months, channels)
