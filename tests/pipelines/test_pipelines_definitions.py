"""The Dagster definitions load, and their shape matches the committed snapshot."""

import json
import os
from pathlib import Path

import dagster as dg
import pytest

SNAPSHOT = Path(__file__).with_name("definitions_snapshot.json")


def definitions_shape(defs: dg.Definitions) -> dict[str, object]:
    """What a reviewer should notice changing: asset keys by group, our checks, jobs, schedules, sensors.

    dbt tests become checks too, but their list belongs to the dbt project and changes with it;
    `test_every_dbt_test_is_an_asset_check` holds them instead.
    """
    from pipelines.transform.assets import hub_dbt_models

    groups: dict[str, list[str]] = {}
    for spec in defs.resolve_all_asset_specs():
        groups.setdefault(spec.group_name or "default", []).append(spec.key.to_user_string())
    checks = sorted(
        f"{key.asset_key.to_user_string()}:{key.name}"
        for key in set(defs.resolve_asset_graph().asset_check_keys) - set(hub_dbt_models.check_keys)
    )
    schedules = [
        {"name": s.name, "job": s.job_name, "cron": s.cron_schedule, "timezone": s.execution_timezone}
        for s in defs.schedules or []
    ]
    return {
        "groups": {group: sorted(keys) for group, keys in sorted(groups.items())},
        "checks": checks,
        "jobs": sorted(job.name for job in defs.resolve_all_job_defs() if not job.name.startswith("__")),
        "schedules": schedules,
        "sensors": sorted(sensor.name for sensor in defs.sensors or []),
    }


@pytest.fixture(scope="module")
def defs(dbt_manifest: object) -> dg.Definitions:
    from pipelines.definitions import build_definitions

    return build_definitions({"HUB_NIGHTLY_CRON": "15 2 * * *", "HUB_TIMEZONE": "Europe/Berlin"})


def test_definitions_validate(defs: dg.Definitions) -> None:
    dg.Definitions.validate_loadable(defs)


@pytest.mark.parametrize("job_name", ["nightly_ingest", "nightly_build", "nightly"])
def test_launched_runs_fork_steps_from_a_server_that_preloaded_the_definitions(defs: dg.Definitions, job_name: str) -> None:
    """Schedule, sensor and UI runs use the job's default run config: the multiprocess executor with a
    forkserver; its preload module must import (a typo would only show in a launched run)."""
    import importlib

    from pipelines.jobs import FORKED_STEPS

    job = defs.resolve_job_def(job_name)
    # A job holding partitioned assets has the same default config for every partition.
    partitioned = job.partitioned_config
    run_config = partitioned.get_run_config_for_partition_key("2026-01-01") if partitioned else job.run_config
    assert run_config == FORKED_STEPS  # and the schedule's run requests carry it (no partition key there)
    execution = run_config["execution"]["config"]["multiprocess"]["start_method"]["forkserver"]
    assert [importlib.import_module(name).__name__ for name in execution["preload_modules"]] == ["pipelines.definitions"]
    assert dg.validate_run_config(job, run_config)


def test_schedule_takes_cron_and_timezone_from_the_environment(defs: dg.Definitions) -> None:
    (schedule,) = defs.schedules
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("15 2 * * *", "Europe/Berlin")


def test_the_nightly_ingest_plans_the_streams_alone_and_the_build_the_rest(defs: dg.Definitions) -> None:
    """The schedule's run plans only the ingest assets and their own checks, so a failed stream leaves
    every model and the published marts out of the failed run; the build holds everything else,
    the dbt tests of the sources included, in one dbt step."""
    from connectors.streams import STREAMS
    from pipelines.ingest.assets import stream_asset_key

    def planned(job_name: str) -> tuple[set[dg.AssetKey], set[dg.AssetCheckKey], set[str]]:
        job = defs.resolve_job_def(job_name)
        graph = job.asset_layer.asset_graph
        return set(graph.executable_asset_keys), set(graph.asset_check_keys), {node.name for node in job.graph.node_defs}

    ingest, ingest_checks, ingest_steps = planned("nightly_ingest")
    build, build_checks, build_steps = planned("nightly_build")
    everything, all_checks, _ = planned("nightly")
    assert ingest == {stream_asset_key(name) for name in STREAMS}
    assert build == everything - ingest and dg.AssetKey("published_marts") in build
    assert ingest_checks | build_checks == all_checks and not ingest_checks & build_checks
    assert {key.name for key in ingest_checks} == {"quarantine_under_threshold"}
    assert "hub_dbt_models" in build_steps and "hub_dbt_models" not in ingest_steps
    (schedule,) = defs.schedules
    assert schedule.job_name == "nightly_ingest"


def test_the_nightly_ingest_holds_the_configured_vendors_streams(dbt_manifest: object) -> None:
    """With Salesforce and Shippo chosen, their streams are the ingest, and none of them waits for the build."""
    from connectors.streams import configured_streams
    from pipelines.definitions import build_definitions
    from pipelines.ingest.assets import stream_asset_key

    env = {"HUB_CRM": "salesforce", "HUB_FULFILMENT": "shippo"}
    defs = build_definitions(env)
    ingest = set(defs.resolve_job_def("nightly_ingest").asset_layer.asset_graph.executable_asset_keys)
    build = set(defs.resolve_job_def("nightly_build").asset_layer.asset_graph.executable_asset_keys)
    assert ingest == {stream_asset_key(name) for name in configured_streams(env)}
    assert any(key.path[0] == "salesforce" for key in ingest) and not ingest & build


def test_every_dbt_source_is_an_ingest_asset(defs: dg.Definitions) -> None:
    """The translator joins dbt sources to ingest assets: no source is left dangling."""
    from connectors.streams import STREAMS
    from pipelines.ingest.assets import stream_asset_key

    ingest_keys = {stream_asset_key(name) for name in STREAMS}
    graph = defs.resolve_asset_graph()
    dbt_upstream = {dep for key in graph.get_all_asset_keys() for dep in graph.get(key).parent_keys}
    dangling = {key for key in dbt_upstream if not graph.has(key) or graph.get(key).is_external}
    assert not dangling, f"dbt sources with no ingest asset: {dangling}"
    assert ingest_keys <= set(graph.get_all_asset_keys())


def test_every_dbt_test_is_an_asset_check(defs: dg.Definitions) -> None:
    """Each dbt data test on a model, or pointed at one by meta.dagster.ref, shows as a check on that model's
    asset; each test on a source (a raw table's `_pk`) as a check on the ingest asset that loads it."""
    from pipelines.transform.assets import hub_dbt_models
    from pipelines.transform.project import dbt_project

    manifest = json.loads(dbt_project.manifest_path.read_text())
    tests = [node for node in manifest["nodes"].values() if node["resource_type"] == "test"]
    on_models = {
        node["name"]
        for node in tests
        if (node.get("attached_node") or "").startswith("model.") or "ref" in node["config"]["meta"].get("dagster", {})
    }
    on_sources = {
        (manifest["sources"][node["depends_on"]["nodes"][0]]["source_name"], node["name"])
        for node in tests
        if node["depends_on"]["nodes"] and node["depends_on"]["nodes"][0].startswith("source.")
    }
    assert on_models and on_sources, "the dbt project has no tests: the comparison would prove nothing"
    # an ingest asset's key is system/stream; a model's is its name alone
    checks = {
        (key.asset_key.path[0] if len(key.asset_key.path) == 2 else None, key.name) for key in hub_dbt_models.check_keys
    }
    assert {name for system, name in checks if system is None} == on_models
    assert {(system, name) for system, name in checks if system is not None} == on_sources
    assert len(on_sources) == 12, "one `_pk` test per raw table of the twelve streams"


def test_assets_have_owners_kinds_descriptions_and_code_versions(defs: dg.Definitions) -> None:
    """What the UI shows beside every asset: nothing left blank."""
    specs = list(defs.resolve_all_asset_specs())
    assert [s.key for s in specs if not s.owners] == []
    assert [s.key for s in specs if not s.kinds] == []
    assert [s.key for s in specs if not s.description] == []
    ingest = [s for s in specs if s.group_name in {"hubspot", "meta", "google_ads", "docusign", "shipstation", "ecb"}]
    assert len(ingest) == 12
    assert [s.key for s in ingest if not s.code_version] == []
    assert [s.key for s in ingest if s.freshness_policy is None] == []
    by_key = {s.key.to_user_string(): s for s in specs}
    assert by_key["meta/insights"].kinds == {"meta", "python", "duckdb"}
    assert by_key["google_ads/campaign_days"].kinds == {"google", "python", "duckdb"}
    assert "dbt" in by_key["mart_sales_vs_fulfilment"].kinds


def test_dated_streams_are_daily_partitioned_and_backfill_in_one_run(defs: dg.Definitions) -> None:
    """Meta, Google Ads and ECB by day from HUB_START_DATE; a backfill of a range is a single run."""
    from pipelines.definitions import build_definitions

    by_key = {s.key.to_user_string(): s for s in defs.resolve_all_asset_specs()}
    partitioned = sorted(key for key, spec in by_key.items() if spec.partitions_def is not None)
    assert partitioned == ["ecb/rates", "google_ads/campaign_days", "meta/insights"]
    assert by_key["meta/insights"].partitions_def.get_first_partition_key() == "2025-01-01"
    graph = defs.resolve_asset_graph()
    assert graph.get(dg.AssetKey(["meta", "insights"])).backfill_policy == dg.BackfillPolicy.single_run()
    later = build_definitions({"HUB_START_DATE": "2026-02-01"}).resolve_all_asset_specs()
    assert {s.partitions_def.get_first_partition_key() for s in later if s.partitions_def} == {"2026-02-01"}


def test_what_people_consume_has_a_freshness_policy(defs: dg.Definitions) -> None:
    specs = {s.key.to_user_string(): s for s in defs.resolve_all_asset_specs()}
    consumed = [key for key, spec in specs.items() if spec.group_name == "marts"] + ["published_marts"]
    assert "mart_sales_vs_fulfilment" in consumed
    assert [key for key in consumed if specs[key].freshness_policy is None] == []


def test_ingest_code_version_follows_the_connector_source() -> None:
    """Two streams of one connector module share a version; different modules differ."""
    from connectors.streams import STREAMS
    from pipelines.ingest.assets import connector_code_version

    versions = {name: connector_code_version(spec) for name, spec in STREAMS.items()}
    assert versions["hubspot__contacts"] == versions["hubspot__deals"]
    assert versions["hubspot__contacts"] != versions["meta__insights"]


def test_definitions_match_snapshot(defs: dg.Definitions) -> None:
    """Set UPDATE_SNAPSHOTS=1 to accept a deliberate change; the diff then shows in review."""
    shape = definitions_shape(defs)
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(json.dumps(shape, indent=2) + "\n")
    assert shape == json.loads(SNAPSHOT.read_text())
