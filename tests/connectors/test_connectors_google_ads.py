"""Google Ads searchStream: each ask covers as many days as keep its answer near the target size."""

from __future__ import annotations

from connector_helpers import raw_rows

from connectors.ingest import ingest_stream
from connectors.systems import google_ads

STREAM = "google_ads__campaign_days"


def test_smaller_answers_cover_every_day_once_and_land_the_same_rows(tiny_config, clean_tiny_tables, monkeypatch):
    """A target far below tiny's answers: many asks of a day or a few, the same raw rows as a clean run."""
    sized = ingest_stream(STREAM, tiny_config, "sized")  # the clean run's asks, for comparison
    monkeypatch.setattr(google_ads, "TARGET_PAGE_BYTES", 4 << 10)
    tiny_config.warehouse_path.unlink()
    small = ingest_stream(STREAM, tiny_config, "small")
    assert small.requests > 3 * sized.requests
    assert (small.records, small.inserted) == (sized.records, sized.records)
    assert raw_rows(tiny_config, STREAM) == clean_tiny_tables[STREAM]
