"""BI reads while the hub writes: a reader in another process sees whole snapshots only.

The reader (reader_child.py) queried the published marts read-only in a tight loop from before
the nightly run of the `small` world until a second snapshot was swapped in (conftest.py).
"""

import pytest

from serving_helpers import ServedNight, failed_steps

pytestmark = pytest.mark.slow  # one served night of the small world (conftest.py), shared by the module


def test_the_nightly_run_succeeded(served: ServedNight) -> None:
    assert served.nightly.success, f"failed steps: {failed_steps(served.nightly)}"
    assert served.republished.success, f"failed steps: {failed_steps(served.republished)}"


def test_reader_had_no_errors(served: ServedNight) -> None:
    assert served.reader["errors"] == []


def test_every_query_saw_one_whole_snapshot(served: ServedNight) -> None:
    """Row counts match `_published` and totals reconcile across tables, in every iteration."""
    assert served.reader["counts"]["queries"] > 0, "the reader never queried a published file"
    assert served.reader["inconsistent"] == []


def test_reader_read_through_the_whole_night_and_both_swaps(served: ServedNight) -> None:
    """Nothing before the first publish, then the night's snapshot, then the next: never back."""
    assert served.reader["counts"]["absent"] > 0, "the reader did not start before the first publish"
    assert served.reader["seen"] == [served.nightly.run_id, served.republished.run_id]
