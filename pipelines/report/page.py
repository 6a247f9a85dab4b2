"""Render the report as one static HTML page with Plotly's JS beside it (no CDN: no internet)."""

import html
import logging
from pathlib import Path

import plotly.offline

from pipelines.publish.atomic import write_atomically
from pipelines.report.charts import all_charts
from pipelines.report.figures import ReportFigures, read_figures

log = logging.getLogger(__name__)
PLOTLY_JS = "plotly.min.js"
REPORT_FILE = "index.html"

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Sales &amp; Fulfilment Hub: nightly report</title>
<script src="{plotly_js}"></script>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }}
table {{ border-collapse: collapse; margin: 1rem 0; }}
th, td {{ border-bottom: 1px solid #ddd; padding: .3rem .7rem; text-align: right; }}
th:first-child, td:first-child {{ text-align: left; }}
.snapshot {{ color: #555; }}
</style>
</head>
<body>
<h1>Sales &amp; Fulfilment Hub: nightly report</h1>
<p class="snapshot" id="snapshot">Data as of <span id="as-of">{as_of}</span>, published <span id="published-at">{published_at}</span> UTC; run <code>{run_id}</code>; amounts in {currency}.</p>
{channel_table}
{charts}
</body>
</html>
"""


def render_report(figures: ReportFigures) -> str:
    """The report page's HTML for one snapshot's figures."""
    snapshot = figures.snapshot
    charts = "\n".join(
        f'<section class="chart">{figure.to_html(full_html=False, include_plotlyjs=False, div_id=div_id)}</section>'
        for div_id, figure in all_charts(figures).items()
    )
    return PAGE.format(
        plotly_js=PLOTLY_JS,
        run_id=html.escape(snapshot.run_id),
        published_at=snapshot.published_at.isoformat(sep=" "),
        # the build's clock: the marts count what happened before this day
        as_of=snapshot.as_of.isoformat() if snapshot.as_of else "unknown",
        currency=html.escape(snapshot.reporting_currency),
        channel_table=_channel_table(figures),
        charts=charts,
    )


def _channel_table(figures: ReportFigures) -> str:
    """Totals per channel over all months, the numbers behind the charts."""
    header = ["channel", "spend", "leads", "deals", "contracts", "booked", "shipped", "fulfilment",
              "shipped on time", "delivered on time"]
    rows = [
        [
            html.escape(row.channel),
            f"{row.spend:,.2f}",
            str(row.leads),
            str(row.deals),
            str(row.contracts_signed),
            f"{row.booked_value:,.2f}",
            f"{row.shipped_value:,.2f}",
            _percent(row.fulfilment_rate),
            _percent(row.shipped_on_time_rate),
            _percent(row.delivered_on_time_rate),
        ]
        for row in figures.channels
    ]
    head = "".join(f"<th>{cell}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<table id="channels"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _percent(rate: float | None) -> str:
    return "" if rate is None else f"{rate:.1%}"


def write_report(marts_file: Path, report_dir: Path) -> Path:
    """Build the report from the published `marts_file` into `report_dir`; returns the page's path."""
    page = render_report(read_figures(marts_file))
    # The JS first: a page is never swapped in before the library it loads.
    write_atomically(report_dir / PLOTLY_JS, plotly.offline.get_plotlyjs())
    target = report_dir / REPORT_FILE
    write_atomically(target, page)
    log.info("wrote the report to %s", target)
    return target
