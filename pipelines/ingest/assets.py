"""One Dagster asset per connector stream, made from the connectors' stream registry."""

import dagster as dg

from connectors.ingest import ingest_stream
from connectors.streams import STREAMS, StreamSpec
from pipelines.resources import HubConfigResource

# Transient vendor trouble the connector's own retries did not outlast gets two more tries.
INGEST_RETRY_POLICY = dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL)


def stream_asset_key(stream_name: str) -> dg.AssetKey:
    """`hubspot__contacts` -> `hubspot/contacts`: the same key the dbt source resolves to."""
    system, stream = stream_name.split("__", 1)
    return dg.AssetKey([system, stream])


def build_ingest_asset(spec: StreamSpec) -> dg.AssetsDefinition:
    """The asset that fetches, lands and loads one stream into `raw.<system>__<stream>`."""

    @dg.asset(
        key=stream_asset_key(spec.name),
        group_name=spec.system,
        kinds={spec.system, "python", "duckdb"},
        description=f"{spec.description}\n\nPrimary key: {spec.primary_key}. Cursor: {spec.cursor_field}.",
        deps=[stream_asset_key(dependency) for dependency in spec.depends_on],
        owners=["team:data"],
        retry_policy=INGEST_RETRY_POLICY,
        metadata={"raw_table": f"raw.{spec.name}"},
    )
    def ingest(context: dg.AssetExecutionContext, hub: HubConfigResource) -> dg.MaterializeResult:
        report = ingest_stream(spec.name, hub.load(), run_id=context.run_id, on_progress=context.log.info)
        return dg.MaterializeResult(metadata=report.as_metadata())

    return ingest


def build_ingest_assets() -> list[dg.AssetsDefinition]:
    """Every registered stream as an asset."""
    return [build_ingest_asset(spec) for spec in STREAMS.values()]
