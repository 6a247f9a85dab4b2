"""The dbt models as Dagster assets; dbt tests arrive as asset checks."""

import json
import os
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from pipelines.transform.project import dbt_project
from pipelines.transform.translator import HubDbtTranslator


def dbt_vars(env: Mapping[str, str]) -> dict[str, str]:
    """dbt vars the environment decides: reporting currency, and the report date when pinned."""
    variables = {"reporting_currency": env.get("HUB_REPORTING_CURRENCY", "EUR")}
    if env.get("HUB_AS_OF"):
        variables["as_of"] = env["HUB_AS_OF"]
    return variables


def dbt_build_args(variables: dict[str, str]) -> list[str]:
    """`dbt build` with our vars; JSON keeps quoting safe."""
    return ["build", "--vars", json.dumps(variables, sort_keys=True)]


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=HubDbtTranslator(),
    pool="warehouse",
)
def hub_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """Build and test the selected models: staging -> intermediate -> marts."""
    yield from dbt.cli(dbt_build_args(dbt_vars(os.environ)), context=context).stream()
