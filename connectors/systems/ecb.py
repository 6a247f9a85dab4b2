"""ECB euro reference rates (SDMX `EXR` dataflow, CSV), one request per run from the cursor date."""

from __future__ import annotations

import csv
import io

from connectors.spec import Check, FetchContext, RecordShape, StreamSpec
from connectors.windows import restatement_window


def check_csv(body: bytes) -> int:
    """The number of data rows of a complete SDMX CSV body; ValueError when it is cut or ragged."""
    if not body.strip():
        return 0
    if not body.endswith(b"\n"):
        raise ValueError("CSV body does not end with a newline (truncated)")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    header = rows[0]
    if "TIME_PERIOD" not in header or "OBS_VALUE" not in header:
        raise ValueError(f"CSV header lacks TIME_PERIOD/OBS_VALUE: {header[:5]}")
    ragged = [n for n, row in enumerate(rows[1:], start=2) if row and len(row) != len(header)]
    if ragged:
        raise ValueError(f"CSV line {ragged[0]} has the wrong number of fields")
    return sum(1 for row in rows[1:] if row)


def fetch_rates(ctx: FetchContext) -> None:
    """Daily rates of the configured currencies from the last date loaded (inclusive) onwards."""
    window = restatement_window(ctx.cursor_before, ctx.config.ecb_restatement_days, ctx.config.start_date, ctx.last_date)
    if window is None:
        return None
    since, until = window
    series = "+".join(ctx.config.ecb_currencies)
    response = ctx.client.send(
        "GET",
        ctx.client.url(f"/service/data/EXR/D.{series}.EUR.SP00.A"),
        params={"startPeriod": since.isoformat(), "endPeriod": until.isoformat(), "format": "csvdata"},
        ok_statuses=(404,),  # the ECB answers 404 "No results found" for a range with no rates yet
        parse=check_csv,
    )
    if response.status == 200 and response.data:
        ctx.land("", response, response.data)
    return None


STREAMS = (
    StreamSpec(
        name="ecb__rates",
        system="ecb",
        description="ECB euro foreign exchange reference rates: units of each currency per 1 EUR, by day.",
        primary_key="`<CURRENCY>:<TIME_PERIOD>`",
        cursor_field="`TIME_PERIOD`: the next run asks from the highest date loaded",
        shape=RecordShape(
            records_path="",
            pk_parts=("CURRENCY", "TIME_PERIOD"),
            cursor_path="TIME_PERIOD",
            checks=(Check("TIME_PERIOD", "date"),),  # the cursor only: the rate is parsed in dbt staging
            page_format="csv",
        ),
        fetch=fetch_rates,
    ),
)
