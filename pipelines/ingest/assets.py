"""One Dagster asset per connector stream, made from the connectors' stream registry."""

import hashlib
import inspect
import os
import sys
from collections.abc import Mapping

import dagster as dg
import httpx

from connectors import versions, warehouse
from connectors.config import ConnectorSettings, HubConfig, env_number
from connectors.errors import ConnectorError, LoadError, RetryExhausted
from connectors.ingest import ingest_stream
from connectors.streams import StreamSpec, configured_streams
from pipelines.checks.freshness import source_freshness
from pipelines.checks.thresholds import ThresholdsResource, quarantine_check_result
from pipelines.ingest.failure import stream_failure
from pipelines.ingest.metadata import quarantine_metadata, raw_table_metadata, report_metadata, table_name_metadata
from pipelines.ingest.partitions import DATED_STREAMS, config_for_days, daily_partitions, days_of
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


def build_ingest_asset(spec: StreamSpec, partitions: dg.PartitionsDefinition | None = None) -> dg.AssetsDefinition:
    """The asset that fetches, lands and loads one stream into `raw.<system>__<stream>`; a dated
    stream's asset is daily-partitioned (`partitions`), and a run over a range of days re-pulls those."""
    key = stream_asset_key(spec.name)
    dated = partitions is not None and spec.name in DATED_STREAMS
    description = f"{spec.description}\n\nPrimary key: {spec.primary_key}\n\nCursor: {spec.cursor_field}"
    if dated:
        description += (
            "\n\nDaily partitions: materialising a range of days (a backfill) re-pulls exactly those days; "
            "the nightly materialises the restatement window."
        )

    @dg.asset(
        key=key,
        group_name=spec.system,
        kinds={SYSTEM_KINDS.get(spec.system, spec.system), "python", "duckdb"},
        description=description,
        deps=[stream_asset_key(dependency) for dependency in spec.depends_on],
        owners=["team:data"],
        code_version=connector_code_version(spec),
        freshness_policy=source_freshness(spec.system),
        partitions_def=partitions if dated else None,
        # A backfill of many days is one run asking the vendor for the whole range, not a run a day.
        backfill_policy=dg.BackfillPolicy.single_run() if dated else None,
        metadata={**table_name_metadata(spec.name), "raw_table": dg.MetadataValue.text(f"raw.{spec.name}")},
        check_specs=[
            dg.AssetCheckSpec(
                QUARANTINE_CHECK,
                asset=key,
                blocking=True,
                description="Records this load quarantined stay at or under HUB_MAX_QUARANTINE_RATE of those fetched.",
            )
        ],
    )
    def ingest(
        context: dg.AssetExecutionContext, hub: HubConfigResource, thresholds: ThresholdsResource
    ) -> dg.MaterializeResult:
        config = hub.load()
        if context.has_partition_key_range:
            config = config_for_days(config, *days_of(context.partition_key_range))
        return _ingest(context, spec, config, thresholds)

    return ingest


def _ingest(
    context: dg.AssetExecutionContext, spec: StreamSpec, config: HubConfig, thresholds: ThresholdsResource
) -> dg.MaterializeResult:
    try:
        version = _api_version_metadata(context, spec, config)
        report = ingest_stream(spec.name, config, run_id=context.run.run_id, on_progress=context.log.info)
    except TRANSIENT_ERRORS as exc:
        if context.retry_number >= INGEST_MAX_RETRIES:
            raise stream_failure(spec.name, exc) from exc
        wait = ingest_retry_seconds(os.environ) * 2**context.retry_number
        context.log.warning(f"{spec.name}: transient failure ({type(exc).__name__}), retrying in {wait}s")
        raise dg.RetryRequested(max_retries=INGEST_MAX_RETRIES, seconds_to_wait=wait) from exc
    except ConnectorError as exc:
        raise stream_failure(spec.name, exc) from exc
    with warehouse.connect(config.warehouse_path, read_only=True) as con:
        table = raw_table_metadata(con, spec.name)
        quarantine = quarantine_metadata(con, spec.name)
    check = quarantine_check_result(QUARANTINE_CHECK, report.records, report.quarantined, thresholds.load())
    return dg.MaterializeResult(
        metadata={**report_metadata(report.as_metadata()), **version, **table, **quarantine},
        check_results=[with_quarantine_link(check, spec.name, quarantine)],
    )


def with_quarantine_link(
    check: dg.AssetCheckResult, stream: str, quarantine: dict[str, dg.MetadataValue]
) -> dg.AssetCheckResult:
    """The check result pointing at where its records are: the table, the stream's rows, the latest few."""
    links = {
        "quarantine_table": dg.MetadataValue.text("raw._quarantine"),
        "quarantine_query": dg.MetadataValue.text(f"select pk, reason, run_id from raw._quarantine where stream = '{stream}'"),
        "quarantine_published_as": dg.MetadataValue.text("dq_quarantined_values (values staging refused)"),
        "quarantine_preview": quarantine["quarantine_preview"],
    }
    return dg.AssetCheckResult(
        check_name=check.check_name,
        passed=check.passed,
        severity=check.severity,
        description=check.description,
        metadata={**check.metadata, **links},
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


def build_ingest_assets(env: Mapping[str, str] | None = None) -> list[dg.AssetsDefinition]:
    """Every stream the configuration enables (HUB_CRM, HUB_FULFILMENT and the systems no kind
    chooses) as an asset; the dated ones partitioned by day from HUB_START_DATE."""
    env = os.environ if env is None else env
    # Only the start date: a bad credential must fail its stream's run, not the definitions' load.
    start = ConnectorSettings.from_env({k: v for k, v in env.items() if k == "HUB_START_DATE"}).start_date
    partitions = daily_partitions(start)
    return [build_ingest_asset(spec, partitions) for spec in configured_streams(env).values()]
