"""The nightly report renders in headless Chromium with its four charts drawn, offline."""

from pathlib import Path

import duckdb
import pytest

from serving_helpers import ServedNight
from support.browser import save_screenshot

pytestmark = pytest.mark.slow  # one served night of the small world (conftest.py), shared by the module

CHARTS = ("chart-value-by-month", "chart-backlog", "chart-rates-by-channel", "chart-funnel")


def test_report_draws_every_chart_from_the_published_marts(page, served: ServedNight) -> None:  # noqa: F811
    """`page` first: without chromium the test skips before the night is run for it."""
    report = served.data_dir / "report" / "index.html"
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(report.as_uri())
    page.wait_for_function("window.Plotly !== undefined")
    for chart in CHARTS:
        page.wait_for_selector(f"#{chart} .main-svg")
    drawn = {chart: page.locator(f"#{chart} g.trace").count() for chart in CHARTS}
    booked = page.evaluate("document.getElementById('chart-value-by-month').data[0].y")
    save_screenshot(page, "nightly-report")

    assert errors == []
    assert [url for url in requests if not url.startswith("file://")] == [], "the report fetched from the network"
    assert all(count > 0 for count in drawn.values()), drawn
    assert booked == published_booked_by_month(served.marts_file)
    assert served.republished.run_id in page.locator("#snapshot").inner_text()
    as_of, published_at = published_clock(served.marts_file)
    assert page.locator("#as-of").inner_text() == as_of
    assert page.locator("#published-at").inner_text() == published_at
    assert f"Data as of {as_of}, published {published_at} UTC" in page.locator("#snapshot").inner_text()


def published_clock(marts_file: Path) -> tuple[str, str]:
    """`_published`'s as-of day and publish time, as text, read from the marts file."""
    with duckdb.connect(str(marts_file), read_only=True) as con:
        rows = con.execute("select distinct as_of, published_at from _published").fetchall()
    assert len(rows) == 1 and rows[0][0] is not None, rows
    as_of, published_at = rows[0]
    return as_of.isoformat(), published_at.isoformat(sep=" ")


def published_booked_by_month(marts_file: Path) -> list[float]:
    """Booked value per month as the report should draw it, read from the marts file."""
    with duckdb.connect(str(marts_file), read_only=True) as con:
        rows = con.execute(
            "select sum(booked_value) from mart_sales_vs_fulfilment group by month order by month"
        ).fetchall()
    return [float(value) for (value,) in rows]
