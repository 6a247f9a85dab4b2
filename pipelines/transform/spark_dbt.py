"""The nightly's dbt step on Apache Spark: HUB_DBT_TARGET=spark, chosen when a run starts.

The dbt assets build through the `dbt` resource. This one is the hub's dbt resource; when the
settings name the `spark` target at run time, a `dbt build` or `run` first brings the Parquet lake
up to the warehouse's raw tables (connectors/lake.py), runs on the spark target (profiles.yml reads
HUB_DBT_TARGET), and, once dbt has finished, loads the marts Spark handed over into the warehouse
with `load_marts`, the same code as `python -m pipelines spark-build`. The mart checks and the
publish asset then read the marts Spark built, as they read DuckDB's on the default target.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

import duckdb
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation
from dagster_dbt.core.dbt_cli_event import DbtCliEventMessage

from connectors import lake
from connectors.config import HubConfig, SettingsError
from connectors.streams import configured_streams
from pipelines.settings import load_settings
from pipelines.spark_build import handover_dir, load_marts, mart_names
from pipelines.transform.project import DBT_EXECUTABLE, HubDbtCliResource, dbt_project

BUILDS = ("build", "run")  # the dbt commands that build marts


class SparkDbtCliInvocation(DbtCliInvocation):
    """A dbt invocation on the spark target whose marts reach the DuckDB warehouse when it ends."""

    def stream_raw_events(self) -> Iterator[DbtCliEventMessage]:
        yield from super().stream_raw_events()  # raises if dbt failed: nothing is loaded then
        config = HubConfig.from_env(os.environ)
        load_marts(mart_names(self.target_path), handover_dir(config.data_dir), config.warehouse_path)


class HubDbtResource(HubDbtCliResource):
    """The hub's dbt resource: DuckDB by default, Spark when HUB_DBT_TARGET=spark (read per call)."""

    def cli(self, args: Sequence[str], **kwargs: Any) -> DbtCliInvocation:
        if not args or args[0] not in BUILDS or load_settings(os.environ).dbt.dbt_target != "spark":
            return super().cli(args, **kwargs)
        config = HubConfig.from_env(os.environ)
        catch_up_lake(config)
        invocation = super().cli(args, **kwargs)
        return SparkDbtCliInvocation(**{f.name: getattr(invocation, f.name) for f in fields(invocation) if f.init})


def catch_up_lake(config: HubConfig) -> None:
    """Write to the lake every raw row it lacks (none when each load wrote its own), so Spark reads
    what the warehouse holds; the caller (the dbt asset) holds the warehouse lock already."""
    if config.lake_dir is None:
        raise SettingsError([
            "HUB_LAKE_DIR: unset, but HUB_DBT_TARGET=spark reads the raw layer from the Parquet lake; set it"
            " to a folder (each load then writes its rows there; the first Spark build writes what is loaded)"])
    with duckdb.connect(str(config.warehouse_path)) as con:
        lake.catch_up(con, Path(config.lake_dir), configured_streams(config.env))


def hub_dbt() -> HubDbtResource:
    """The `dbt` resource of the hub's definitions (pipelines/resources.py)."""
    return HubDbtResource(project_dir=dbt_project, dbt_executable=str(DBT_EXECUTABLE))
