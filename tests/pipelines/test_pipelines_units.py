"""The pipelines layer's pure pieces: metadata typing, thresholds, instance config (partition windows: test_pipelines_backfill)."""

from pathlib import Path

import dagster as dg
import pytest

from connectors.errors import ConfigError
from pipelines.checks.thresholds import Thresholds, quarantine_check_result
from pipelines.ingest.metadata import report_metadata
from pipelines.instance import ensure_instance_config

REPORT = {
    "stream": "meta__insights", "pages": 3, "records": 250, "inserted": 200, "updated": 40, "unchanged": 10,
    "quarantined": 0, "requests": 4, "retries": 1, "rate_limit_wait_seconds": 1.5, "cursor_before": None,
    "cursor_after": "2026-10-31", "seconds": 2.25, "landing_dir": "/data/landing/r1/meta/insights",
}


def test_report_metadata_is_typed_and_ordered() -> None:
    metadata = report_metadata(REPORT)
    assert list(metadata)[:5] == ["records", "inserted", "updated", "unchanged", "quarantined"]
    assert "stream" not in metadata
    assert metadata["records"] == dg.MetadataValue.int(250)
    assert metadata["rate_limit_wait_seconds"] == dg.MetadataValue.float(1.5)
    assert metadata["cursor_before"] == dg.MetadataValue.text("(none)")
    assert metadata["landing_dir"] == dg.MetadataValue.path("/data/landing/r1/meta/insights")


def test_report_metadata_shows_fields_the_connectors_add_later() -> None:
    assert report_metadata({**REPORT, "bytes": 1024})["bytes"] == dg.MetadataValue.int(1024)


def test_thresholds_from_env_and_bad_values() -> None:
    assert Thresholds.from_env({}) == Thresholds()
    assert Thresholds.from_env({"HUB_MAX_QUARANTINE_RATE": "0.2"}).max_quarantine_rate == 0.2
    with pytest.raises(ConfigError, match=r"HUB_MAX_ORPHAN_SHIPMENT_RATE='5' is outside 0..1"):
        Thresholds.from_env({"HUB_MAX_ORPHAN_SHIPMENT_RATE": "5"})
    with pytest.raises(ConfigError, match=r"HUB_MAX_QUARANTINE_RATE='lots' is not a number"):
        Thresholds.from_env({"HUB_MAX_QUARANTINE_RATE": "lots"})


@pytest.mark.parametrize(
    ("records", "quarantined", "limit", "passed"),
    [(100, 1, 0.01, True), (100, 2, 0.01, False), (0, 0, 0.0, True), (10, 0, 0.0, True)],
)
def test_quarantine_check_passes_at_the_limit_and_fails_above(
    records: int, quarantined: int, limit: float, passed: bool
) -> None:
    result = quarantine_check_result("q", records, quarantined, Thresholds(max_quarantine_rate=limit))
    assert result.passed is passed
    assert result.metadata["count"] == dg.MetadataValue.int(quarantined)


def test_instance_config_sets_the_pool_limit_once(tmp_path: Path) -> None:
    path = ensure_instance_config(tmp_path / "home")
    assert "default_limit: 1" in path.read_text()
    path.write_text("# mine\nconcurrency:\n  pools:\n    default_limit: 2\n")
    ensure_instance_config(tmp_path / "home")
    assert "default_limit: 2" in path.read_text()  # a hand-edited instance is left alone


def test_instance_config_is_what_dagster_reads(tmp_path: Path) -> None:
    ensure_instance_config(tmp_path)
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1


def test_instance_config_retries_dead_runs_and_stays_quiet(tmp_path: Path) -> None:
    ensure_instance_config(tmp_path)
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.run_retries_enabled
        assert not instance.run_retries_retry_on_asset_or_op_failure
        assert not instance.telemetry_enabled
        assert not instance.nux_enabled


def test_transient_ingest_failure_is_retried_twice_then_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A vendor that refuses connections: the step goes up for retry twice, then fails."""
    from connectors.streams import STREAMS
    from pipelines.ingest.assets import build_ingest_asset
    from pipelines.resources import hub_resources

    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HUB_ECB_BASE_URL", "http://127.0.0.1:9/ecb")  # port 9 (discard): nothing listens
    monkeypatch.setenv("HUB_HTTP_RETRY_MAX_SECONDS", "0")  # the connector gives up at once ...
    monkeypatch.setenv("HUB_INGEST_RETRY_SECONDS", "0")  # ... and so does the wait between step tries
    result = dg.materialize([build_ingest_asset(STREAMS["ecb__rates"])], resources=hub_resources(), raise_on_error=False)
    steps = [e.event_type_value for e in result.all_events if e.step_key == "ecb__rates" and e.is_step_event]
    assert steps.count("STEP_UP_FOR_RETRY") == 2
    assert steps[-1] == "STEP_FAILURE"


def test_ingest_retry_seconds_from_env() -> None:
    from pipelines.ingest.assets import ingest_retry_seconds

    assert ingest_retry_seconds({}) == 30.0
    assert ingest_retry_seconds({"HUB_INGEST_RETRY_SECONDS": "5"}) == 5.0
    with pytest.raises(ConfigError, match="HUB_INGEST_RETRY_SECONDS='soon' is not a number"):
        ingest_retry_seconds({"HUB_INGEST_RETRY_SECONDS": "soon"})


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_missing_chromium_skips_locally_and_fails_under_ci(
    ci: str, outcome: type[BaseException], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from support.browser import require_chromium

    monkeypatch.setenv("HUB_CHROMIUM", str(tmp_path / "no-chromium-here"))
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="apt-get install chromium"):
        require_chromium()


def test_nightly_dbt_build_passes_the_vars_of_the_parse_and_leaves_unit_tests_to_make_test() -> None:
    """The report clock travels in the environment, not in --vars: a var that changes every night
    would make dbt discard its partial parse and parse the whole project on every build."""
    from pipelines.transform.assets import dbt_build_args
    from pipelines.transform.project import vars_arg

    env = {"HUB_REPORTING_CURRENCY": "USD", "HUB_AS_OF": "2026-11-01"}
    args = dbt_build_args(env)
    assert args[:3] == ["build", "--vars", '{"reporting_currency": "USD"}'] == ["build", *vars_arg(env)]
    assert args[3:] == ["--exclude-resource-type", "unit_test"]
    assert vars_arg({**env, "HUB_AS_OF": "2026-11-02"}) == vars_arg(env)


def test_the_hub_dbt_resource_skips_only_what_dagster_dbt_would_compute_the_same_or_not_use() -> None:
    """HubDbtCliResource overrides two private members of the pinned dagster-dbt: the version it
    reports must be what `dbt --version` says, and the members must still exist upstream (an
    upgrade that renames them would otherwise leave the overrides silently unused)."""
    from dagster_dbt import DbtCliResource

    from pipelines.transform.project import dbt_cli

    hub = dbt_cli()
    upstream = DbtCliResource(project_dir=hub.project_dir, dbt_executable=hub.dbt_executable)
    assert hub._cli_version == upstream._cli_version  # upstream runs `dbt --version`
    assert "_cli_version" in vars(DbtCliResource) and "_initialize_dbt_core_adapter" in vars(DbtCliResource)
    assert hub._initialize_dbt_core_adapter(["build"]) is None
