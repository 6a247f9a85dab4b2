"""The Dagster instance `make run` and `make ui` use: `dagster.yaml` in DAGSTER_HOME.

What matters to the hub: every concurrency pool (the dbt build and publish share `warehouse`)
runs one step at a time across all runs, so warehouse writers never overlap; a run whose
worker died is retried from failure (steps retry their own transient errors, see
pipelines/ingest/assets.py); nothing phones home.
"""

import logging
from pathlib import Path

log = logging.getLogger(__name__)

INSTANCE_YAML = """\
# Written by `python -m pipelines` (pipelines/instance.py); kept if you edit it.
# The `warehouse` pool serialises the steps that write the DuckDB warehouse (dbt build, publish)
# across runs.
concurrency:
  pools:
    default_limit: 1
# Runs retry per their `dagster/max_retries` tag (nightly: 2, from failure) when the run itself
# died (a killed worker); a step's own failure is not retried again at run level.
run_retries:
  enabled: true
  retry_on_asset_or_op_failure: false
# The daemon fails runs whose worker died and frees the slots of ended runs a minute later;
# without a daemon (`make run`) the next run does both (pipelines/recovery.py).
run_monitoring:
  enabled: true
  free_slots_after_run_end_seconds: 60
telemetry:
  enabled: false
nux:
  enabled: false
"""


def ensure_instance_config(dagster_home: Path) -> Path:
    """Write `dagster.yaml` with the pool limit unless one exists; warn when an existing one lacks it."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    path = dagster_home / "dagster.yaml"
    if not path.exists():
        path.write_text(INSTANCE_YAML)
    elif "concurrency" not in path.read_text():
        log.warning("%s sets no concurrency pools: add `concurrency: {pools: {default_limit: 1}}`", path)
    return path
