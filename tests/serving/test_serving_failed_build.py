"""A night whose blocking dbt test fails publishes nothing: the last good marts stay byte for byte."""

import pytest

from serving_helpers import PUBLISHED_FILES, ServedNight, failed_steps

pytestmark = pytest.mark.slow  # one served night of the small world (conftest.py), shared by the module


def test_forced_dbt_test_failure_fails_the_build_step_only(served: ServedNight) -> None:
    failed_checks = [
        event.asset_check_evaluation_data.check_name
        for event in served.failed.all_events
        if event.event_type_value == "ASSET_CHECK_EVALUATION" and not event.asset_check_evaluation_data.passed
    ]
    assert not served.failed.success
    assert failed_steps(served.failed) == ["hub_dbt_models"]
    assert any(name.startswith("relationships_mart_sales_vs_fulfilment_channel") for name in failed_checks), failed_checks


def test_failed_night_does_not_run_the_publish(served: ServedNight) -> None:
    materialized = {
        event.asset_key.to_user_string() for event in served.failed.all_events if event.is_step_materialization
    }
    assert "published_marts" not in materialized


def test_failed_night_leaves_every_published_file_unchanged(served: ServedNight) -> None:
    assert sorted(served.before_failed) == sorted(PUBLISHED_FILES), "a published file was missing before the night"
    assert served.after_failed == served.before_failed


def test_failed_night_leaves_the_last_good_snapshot(served: ServedNight) -> None:
    assert served.run_id_after_failed == served.nightly.run_id
