"""Cursor windows: which dates and times the next run asks for."""

from datetime import date, datetime, timezone

from connectors.windows import date_chunks, iso_z, overlap_start, parse_timestamp, restatement_window


def test_restatement_window_starts_at_start_without_cursor():
    assert restatement_window(None, 28, date(2025, 1, 1), date(2025, 3, 1)) == (date(2025, 1, 1), date(2025, 3, 1))


def test_restatement_window_repulls_the_restatement_days():
    assert restatement_window("2025-02-20", 28, date(2025, 1, 1), date(2025, 3, 1)) == (
        date(2025, 1, 23),
        date(2025, 3, 1),
    )
    assert restatement_window("2025-01-10", 28, date(2025, 1, 1), date(2025, 3, 1))[0] == date(2025, 1, 1)
    assert restatement_window("2025-03-05", 0, date(2025, 1, 1), date(2025, 3, 1)) is None


def test_date_chunks_cover_the_range_without_gaps():
    chunks = date_chunks(date(2025, 1, 1), date(2025, 1, 10), 4)
    assert chunks == [
        (date(2025, 1, 1), date(2025, 1, 4)),
        (date(2025, 1, 5), date(2025, 1, 8)),
        (date(2025, 1, 9), date(2025, 1, 10)),
    ]


def test_timestamps_in_every_vendor_spelling():
    expected = datetime(2026, 3, 1, 10, 0, 0, 123000, tzinfo=timezone.utc)
    assert parse_timestamp("2026-03-01T10:00:00.123Z") == expected
    assert parse_timestamp("2026-03-01T10:00:00.1230000Z") == expected
    assert parse_timestamp("2026-03-01T11:00:00.123+01:00") == expected
    assert parse_timestamp("2026-03-01") == datetime(2026, 3, 1, tzinfo=timezone.utc)
    assert iso_z(expected) == "2026-03-01T10:00:00.123Z"


def test_overlap_start():
    assert overlap_start(None, 60, date(2025, 1, 1)) == "2025-01-01T00:00:00.000Z"
    assert overlap_start("2026-03-01T10:00:00.0000000Z", 60, date(2025, 1, 1)) == "2026-03-01T09:00:00.000Z"
