"""The dbt models as Dagster assets; dbt tests arrive as asset checks."""

import os
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from connectors import warehouse
from pipelines.recovery import DBT_PID_TAG
from pipelines.resources import HubConfigResource
from pipelines.transform.metadata import NodeStats, node_stats
from pipelines.transform.project import dbt_project, vars_arg
from pipelines.transform.translator import HubDbtTranslator


def dbt_build_args(env: Mapping[str, str]) -> list[str]:
    """`dbt build` with our vars, data tests but no unit tests.

    Unit tests prove the SQL, which changes only with the project: `make test` runs them,
    the nightly need not pay for them on every build.
    """
    return ["build", *vars_arg(env), "--exclude-resource-type", "unit_test"]


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=HubDbtTranslator(),
    pool="warehouse",
)
def hub_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, hub: HubConfigResource) -> Iterator[Any]:
    """Build and test the selected models: staging -> intermediate -> marts, with row counts.

    Events go to Dagster as dbt reports them, so recording them (tens of ms each) overlaps the
    build instead of following it. A failed model still reports what was built before the
    step fails with dbt's error.
    """
    warehouse_path = hub.load().warehouse_path
    # dbt knows nothing of the connectors' lock: hold it for the whole build, so a load from
    # another run queues behind dbt instead of meeting DuckDB's "file is locked".
    with warehouse.exclusive(warehouse_path):
        invocation = dbt.cli(dbt_build_args(os.environ), context=context)
        # dbt outlives a killed run and keeps DuckDB's write lock: the next run stops it by this pid
        # (pipelines/recovery.py).
        context.instance.add_run_tags(context.run.run_id, {DBT_PID_TAG: str(invocation.process.pid)})
        stats: dict[str, NodeStats] = {}
        for raw in invocation.stream_raw_events():
            logged = node_stats(raw.raw_event)
            if logged is not None:  # dbt logs a model's stats just before its result
                stats[logged.unique_id] = logged
                continue
            for event in raw.to_default_asset_events(
                manifest=invocation.manifest,
                dagster_dbt_translator=invocation.dagster_dbt_translator,
                context=context,
                target_path=invocation.target_path,
                project=invocation.project,
            ):
                yield _with_stats(event, stats)


def _with_stats(event: Any, stats: Mapping[str, NodeStats]) -> Any:
    """A model's Output with its row count (and a mart's preview); any other event as it is."""
    if not isinstance(event, dg.Output):
        return event
    unique_id = (event.metadata or {}).get("unique_id")
    logged = stats.get(getattr(unique_id, "value", unique_id)) if unique_id else None
    return event if logged is None else event.with_metadata({**event.metadata, **logged.metadata()})
