"""Jobs: `nightly` materialises everything; `ad_spend_backfill` re-pulls a date range of ad spend."""

import dagster as dg

from pipelines.ingest.assets import stream_asset_key
from pipelines.ingest.backfill import AD_SPEND_STREAMS

# Runs launched by the daemon (the schedule) or the UI execute each step in its own process. By
# default every such process starts cold and imports Dagster, dbt and the definitions: about
# 3 s of CPU per step, 15 steps on 2 cores. A forkserver that has imported them once forks each
# step ready to run. Default run config rather than a fixed executor, so a run can still ask
# for `in_process` (tests do).
FORKED_STEPS = {
    "execution": {"config": {"multiprocess": {"start_method": {"forkserver": {"preload_modules": ["pipelines.definitions"]}}}}}
}

nightly_job = dg.define_asset_job(
    name="nightly",
    selection=dg.AssetSelection.all(),
    description="Ingest every stream, build and test the dbt models, publish the marts.",
    # A run that dies of something transient (a killed worker, a lost vendor) is retried from
    # failure by the daemon: steps that succeeded are not run again, so nothing is pulled twice.
    tags={"dagster/max_retries": 2, "dagster/retry_strategy": "FROM_FAILURE"},
    config=FORKED_STEPS,
)

_ad_spend = dg.AssetSelection.assets(*(stream_asset_key(name) for name in AD_SPEND_STREAMS))
ad_spend_backfill_job = dg.define_asset_job(
    name="ad_spend_backfill",
    # The ad-spend streams and what is built from them; no other stream is pulled again.
    selection=_ad_spend | _ad_spend.downstream(include_self=False),
    description=(
        "Re-pull the ad-spend streams for a date range, then rebuild and publish what depends on them. "
        "Set `since` and `until` (YYYY-MM-DD, inclusive) in the launchpad config of both ingest ops."
    ),
    # Shown in the launchpad to be filled in; left empty, the streams pull their usual window.
    config={**FORKED_STEPS, "ops": {name: {"config": {"since": "", "until": ""}} for name in AD_SPEND_STREAMS}},
)
