"""One Dagster asset per connector stream, made from the connectors' stream registry."""

import hashlib
import inspect
import os
import sys
from collections.abc import Mapping

import dagster as dg
import httpx

from connectors import versions
from connectors.config import HubConfig, env_number
from connectors.errors import LoadError, RetryExhausted
from connectors.ingest import ingest_stream
from connectors.streams import STREAMS, StreamSpec
from pipelines.checks.freshness import source_freshness
from pipelines.checks.thresholds import ThresholdsResource, quarantine_check_result
from pipelines.ingest.backfill import AD_SPEND_STREAMS, AdSpendWindow, config_for_window
from pipelines.ingest.metadata import report_metadata
from pipelines.resources import HubConfigResource

# Transient vendor or warehouse trouble the connector's own retries did not outlast gets two more
# tries, HUB_INGEST_RETRY_SECONDS (default 30) then twice that later; configuration and auth
# errors fail at once (retrying cannot help).
TRANSIENT_ERRORS = (RetryExhausted, LoadError, httpx.TransportError)
INGEST_MAX_RETRIES = 2
DEFAULT_INGEST_RETRY_SECONDS = 30.0
QUARANTINE_CHECK = "quarantine_under_threshold"
# The UI's kind icons know `meta` and `google`; the other systems show as their name.
SYSTEM_KINDS = {"google_ads": "google"}


def stream_asset_key(stream_name: str) -> dg.AssetKey:
    """`hubspot__contacts` -> `hubspot/contacts`: the same key the dbt source resolves to."""
    system, stream = stream_name.split("__", 1)
    return dg.AssetKey([system, stream])


def connector_code_version(spec: StreamSpec) -> str:
    """A hash of the system's connector module: the asset's data changes meaning when it does."""
    module = sys.modules[spec.fetch.__module__]
    return hashlib.sha256(inspect.getsource(module).encode()).hexdigest()[:12]


def build_ingest_asset(spec: StreamSpec) -> dg.AssetsDefinition:
    """The asset that fetches, lands and loads one stream into `raw.<system>__<stream>`."""
    key = stream_asset_key(spec.name)
    backfillable = spec.name in AD_SPEND_STREAMS
    description = f"{spec.description}\n\nPrimary key: {spec.primary_key}\n\nCursor: {spec.cursor_field}"
    if backfillable:
        description += "\n\nBackfill: launch `ad_spend_backfill` with `since`/`until` to re-pull only those days."
    asset = dg.asset(
        key=key,
        group_name=spec.system,
        kinds={SYSTEM_KINDS.get(spec.system, spec.system), "python", "duckdb"},
        description=description,
        deps=[stream_asset_key(dependency) for dependency in spec.depends_on],
        owners=["team:data"],
        code_version=connector_code_version(spec),
        freshness_policy=source_freshness(spec.system),
        metadata={"raw_table": dg.MetadataValue.text(f"raw.{spec.name}")},
        check_specs=[
            dg.AssetCheckSpec(
                QUARANTINE_CHECK,
                asset=key,
                blocking=True,
                description="Records this load quarantined stay at or under HUB_MAX_QUARANTINE_RATE of those fetched.",
            )
        ],
    )
    if backfillable:

        @asset
        def ingest_ad_spend(
            context: dg.AssetExecutionContext,
            config: AdSpendWindow,
            hub: HubConfigResource,
            thresholds: ThresholdsResource,
        ) -> dg.MaterializeResult:
            return _ingest(context, spec, config_for_window(hub.load(), config), thresholds)

        return ingest_ad_spend

    @asset
    def ingest(
        context: dg.AssetExecutionContext, hub: HubConfigResource, thresholds: ThresholdsResource
    ) -> dg.MaterializeResult:
        return _ingest(context, spec, hub.load(), thresholds)

    return ingest


def _ingest(
    context: dg.AssetExecutionContext, spec: StreamSpec, config: HubConfig, thresholds: ThresholdsResource
) -> dg.MaterializeResult:
    version = _api_version_metadata(context, spec, config)
    try:
        report = ingest_stream(spec.name, config, run_id=context.run_id, on_progress=context.log.info)
    except TRANSIENT_ERRORS as exc:
        wait = ingest_retry_seconds(os.environ) * 2**context.retry_number
        context.log.warning(f"{spec.name}: transient failure ({type(exc).__name__}), retrying in {wait}s")
        raise dg.RetryRequested(max_retries=INGEST_MAX_RETRIES, seconds_to_wait=wait) from exc
    return dg.MaterializeResult(
        metadata={**report_metadata(report.as_metadata()), **version},
        check_results=[quarantine_check_result(QUARANTINE_CHECK, report.records, report.quarantined, thresholds.load())],
    )


def _api_version_metadata(
    context: dg.AssetExecutionContext, spec: StreamSpec, config: HubConfig
) -> dict[str, dg.MetadataValue]:
    """The API version a dated vendor is called with, warned about in the run's log and shown in the UI
    when it sunsets within connectors.versions.WARN_DAYS."""
    if spec.system not in versions.CALENDARS:
        return {}
    system = config.system(spec.system)  # a missing variable fails here as it would in ingest_stream
    metadata = {"api_version": dg.MetadataValue.text(system.api_version or "")}
    if system.api_version_warning:
        context.log.warning(f"{spec.name}: {system.api_version_warning}")
        metadata["api_version_warning"] = dg.MetadataValue.text(system.api_version_warning)
    return metadata


def ingest_retry_seconds(env: Mapping[str, str]) -> float:
    """The first wait before a transient failure is retried: `HUB_INGEST_RETRY_SECONDS`, else 30."""
    return env_number(env, "HUB_INGEST_RETRY_SECONDS", DEFAULT_INGEST_RETRY_SECONDS, float, "a number of seconds, e.g. 30")


def build_ingest_assets() -> list[dg.AssetsDefinition]:
    """Every registered stream as an asset."""
    return [build_ingest_asset(spec) for spec in STREAMS.values()]
