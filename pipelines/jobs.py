"""Jobs: `nightly` materialises everything, ingest to published marts."""

import dagster as dg

nightly_job = dg.define_asset_job(
    name="nightly",
    selection=dg.AssetSelection.all(),
    description="Ingest every stream, build and test the dbt models, publish the marts.",
    # A run that dies of something transient (a killed worker, a lost vendor) is retried from failure.
    tags={"dagster/max_retries": 2, "dagster/retry_strategy": "FROM_FAILURE"},
)
