"""The headline measures defined once as dbt semantic models and metrics, queried with MetricFlow.

`mf query` (dbt-metricflow) runs over the served night's warehouse (conftest.py, no run of its own)
and must give, month by channel, exactly the figures mart_sales_vs_fulfilment publishes.
"""

import csv
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.transform.project import dbt_project
from serving_helpers import ServedNight

pytestmark = pytest.mark.slow  # the session's served night of the small world

FIGURES = ("spend", "leads", "contracts_signed", "booked_value", "shipped_value", "delivered_value")


def test_metricflow_metrics_equal_the_mart_month_by_channel(served: ServedNight, tmp_path: Path) -> None:
    """Six simple metrics against the mart's columns, and the cost-per-lead ratio against its parts."""
    output = tmp_path / "metrics.csv"
    mf = Path(sys.executable).with_name("mf")
    subprocess.run(
        [str(mf), "query", "--metrics", ",".join((*FIGURES, "cost_per_lead")), "--group-by", "metric_time__month,channel",
         "--csv", str(output)],
        cwd=dbt_project.project_dir, env={**os.environ, "HUB_DATA_DIR": str(served.data_dir)},
        check=True, capture_output=True, text=True, timeout=300,
    )
    with output.open() as handle:
        rows = [row for row in csv.DictReader(handle) if row["metric_time__month"]]
    queried = {(row["metric_time__month"][:10], row["channel"]): tuple(Decimal(row[name] or 0) for name in FIGURES)
               for row in rows}
    # A ratio metric divides the sums of the grouping asked for (never averages finer ratios).
    ratios = [(float(row["cost_per_lead"]), float(row["spend"]) / float(row["leads"])) for row in rows
              if row["cost_per_lead"] and row["leads"] not in ("", "0")]
    assert len(ratios) > 5 and all(got == pytest.approx(expected) for got, expected in ratios)
    with duckdb.connect(str(served.marts_file), read_only=True) as con:
        mart_rows = con.execute(f"select strftime(month, '%Y-%m-%d'), channel, {', '.join(FIGURES)} from mart_sales_vs_fulfilment").fetchall()
    published = {(month, channel): tuple(Decimal(str(value)) for value in values) for month, channel, *values in mart_rows}
    nonzero = {key: values for key, values in published.items() if any(values)}
    assert len(nonzero) > 20, "the mart should have many month x channel rows with figures"
    assert {key: queried.get(key, (Decimal(0),) * len(FIGURES)) for key in nonzero} == nonzero
    assert {key: values for key, values in queried.items() if key not in published and any(values)} == {}

