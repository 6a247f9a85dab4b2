"""The report's four charts as Plotly figures, built from `ReportFigures` alone."""

import plotly.graph_objects as go

from pipelines.report.figures import ReportFigures

PAID_CHANNELS = ("meta", "google_ads")
LAYOUT = {"template": "plotly_white", "height": 420, "margin": {"l": 60, "r": 20, "t": 60, "b": 50}}


def value_by_month(figures: ReportFigures) -> go.Figure:
    """Booked (sales) against shipped and delivered (fulfilment) value, per month."""
    months = [row.month for row in figures.months]
    currency = figures.snapshot.reporting_currency
    figure = go.Figure(
        [
            go.Bar(name="Booked", x=months, y=[float(row.booked_value) for row in figures.months]),
            go.Bar(name="Shipped", x=months, y=[float(row.shipped_value) for row in figures.months]),
            go.Bar(name="Delivered", x=months, y=[float(row.delivered_value) for row in figures.months]),
        ]
    )
    figure.update_layout(title="Booked vs shipped vs delivered value by month", barmode="group", **LAYOUT)
    figure.update_yaxes(title_text=currency)
    return figure


def backlog_over_time(figures: ReportFigures) -> go.Figure:
    """Backlog at each month end: what is signed but not yet shipped."""
    figure = go.Figure(
        go.Scatter(
            name="Backlog",
            x=[row.month for row in figures.months],
            y=[float(row.backlog_value) for row in figures.months],
            mode="lines+markers",
            fill="tozeroy",
        )
    )
    figure.update_layout(title="Backlog at month end", **LAYOUT)
    figure.update_yaxes(title_text=figures.snapshot.reporting_currency)
    return figure


def rates_by_channel(figures: ReportFigures) -> go.Figure:
    """Fulfilment rate (shipped / booked) and both on-time rates (over due contracts) per channel."""
    channels = [row.channel for row in figures.channels]
    figure = go.Figure(
        [
            go.Bar(name="Fulfilment rate", x=channels, y=[row.fulfilment_rate for row in figures.channels]),
            go.Bar(name="Shipped on time", x=channels, y=[row.shipped_on_time_rate for row in figures.channels]),
            go.Bar(name="Delivered on time", x=channels, y=[row.delivered_on_time_rate for row in figures.channels]),
        ]
    )
    figure.update_layout(title="Fulfilment and on-time rates by channel", barmode="group", **LAYOUT)
    figure.update_yaxes(tickformat=".0%", rangemode="tozero")
    return figure


def sales_funnel(figures: ReportFigures) -> go.Figure:
    """Leads -> deals -> contracts per paid channel, with the spend behind them in the legend."""
    currency = figures.snapshot.reporting_currency
    stages = ["Leads", "Deals", "Contracts signed"]
    figure = go.Figure(
        [
            go.Funnel(
                name=f"{row.channel} (spend {row.spend:,.2f} {currency})",
                y=stages,
                x=[row.leads, row.deals, row.contracts_signed],
                textinfo="value+percent initial",
            )
            for row in figures.channels
            if row.channel in PAID_CHANNELS
        ]
    )
    figure.update_layout(title="Spend -> leads -> deals -> contracts (paid channels)", **LAYOUT)
    return figure


def all_charts(figures: ReportFigures) -> dict[str, go.Figure]:
    """Every chart of the report by its element id, in page order."""
    return {
        "chart-value-by-month": value_by_month(figures),
        "chart-backlog": backlog_over_time(figures),
        "chart-rates-by-channel": rates_by_channel(figures),
        "chart-funnel": sales_funnel(figures),
    }
