"""The dbt models as Dagster assets; dbt tests arrive as asset checks."""

import os
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource, dbt_assets

from connectors import warehouse
from pipelines.resources import HubConfigResource
from pipelines.transform.metadata import table_metadata
from pipelines.transform.project import dbt_project, vars_arg
from pipelines.transform.translator import HubDbtTranslator


def dbt_build_args(env: Mapping[str, str]) -> list[str]:
    """`dbt build` with our vars, data tests but no unit tests.

    Unit tests prove the SQL, which changes only with the project: `make test` runs them,
    the nightly need not pay for them on every build.
    """
    return ["build", *vars_arg(env), "--exclude-resource-type", "unit_test"]


def is_mart(node: Mapping[str, Any]) -> bool:
    """A `mart_` model under models/marts: the tables BI reads, worth a preview."""
    return node.get("fqn", [None, None])[1:2] == ["marts"] and node["name"].startswith("mart_")


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=HubDbtTranslator(),
    pool="warehouse",
)
def hub_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, hub: HubConfigResource) -> Iterator[Any]:
    """Build and test the selected models: staging -> intermediate -> marts, with row counts."""
    warehouse_path = hub.load().warehouse_path
    # dbt knows nothing of the connectors' lock: hold it for the whole build, so a load from
    # another run queues behind dbt instead of meeting DuckDB's "file is locked".
    with warehouse.exclusive(warehouse_path):
        invocation = dbt.cli(dbt_build_args(os.environ), context=context)
        events: list[Any] = []
        failure: BaseException | None = None
        try:
            events.extend(invocation.stream())
        except Exception as exc:  # a failed model: still report what was built, then fail
            failure = exc
        yield from _with_table_metadata(events, warehouse_path, invocation.manifest)
    if failure is not None:
        raise failure


def _with_table_metadata(events: list[Any], warehouse_path: Any, manifest: Mapping[str, Any]) -> Iterator[Any]:
    """The dbt events in order, each model's Output with its row count (and marts' preview)."""
    if not warehouse_path.exists():
        yield from events
        return
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        for event in events:
            unique_id = (event.metadata or {}).get("unique_id") if isinstance(event, dg.Output) else None
            node = manifest["nodes"].get(getattr(unique_id, "value", unique_id)) if unique_id else None
            if node is None:
                yield event
                continue
            yield event.with_metadata({**event.metadata, **table_metadata(con, node, preview=is_mart(node))})
