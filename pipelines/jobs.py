"""The `nightly` job: every stream, the dbt models and the publish step in one run.

A date range of the dated streams is re-pulled by Dagster's own partition backfill of their
assets (pipelines/ingest/partitions.py), not by a job of its own.
"""

import dagster as dg

from connectors.config import HubConfig
from pipelines.ingest.assets import stream_asset_key
from pipelines.ingest.partitions import DATED_STREAMS, nightly_partition_range, partition_range_tags

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



def nightly_tags(instance: dg.DagsterInstance, config: HubConfig) -> dict[str, str]:
    """Run tags for a nightly: the days its dated streams re-pull (their restatement windows) as a
    partition range; none on a first night, which loads the history through the connectors' windows."""
    loaded_before = any(instance.get_latest_materialization_event(stream_asset_key(s)) for s in DATED_STREAMS)
    key_range = nightly_partition_range(config, loaded_before)
    return partition_range_tags(key_range) if key_range else {}
