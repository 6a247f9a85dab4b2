"""Cursor windows: which dates and times the next run asks for."""

from datetime import date, datetime, timezone

from connectors.windows import iso_z, next_chunk_days, overlap_start, parse_timestamp, restatement_window


def test_restatement_window_starts_at_start_without_cursor():
    assert restatement_window(None, 28, date(2025, 1, 1), date(2025, 3, 1)) == (date(2025, 1, 1), date(2025, 3, 1))


def test_restatement_window_repulls_the_restatement_days():
    assert restatement_window("2025-02-20", 28, date(2025, 1, 1), date(2025, 3, 1)) == (
        date(2025, 1, 23),
        date(2025, 3, 1),
    )
    assert restatement_window("2025-01-10", 28, date(2025, 1, 1), date(2025, 3, 1))[0] == date(2025, 1, 1)
    assert restatement_window("2025-03-05", 0, date(2025, 1, 1), date(2025, 3, 1)) is None


def test_next_chunk_days_keeps_answers_near_the_target_size():
    # 45 days came back as 9 MB, 0.2 MB a day: 20 days make the next 4 MB answer
    assert next_chunk_days(45, 9 << 20, 4 << 20, 45) == 20
    assert next_chunk_days(10, 1 << 20, 4 << 20, 45) == 40
    assert next_chunk_days(45, 1 << 10, 4 << 20, 45) == 45  # never more than the most
    assert next_chunk_days(1, 64 << 20, 4 << 20, 45) == 1  # never less than a day
    assert next_chunk_days(30, 0, 4 << 20, 45) == 45  # an empty answer says nothing about size


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
