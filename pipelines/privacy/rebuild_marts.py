"""Every dbt model built anew from the raw layer, then the marts published: what `forget` ends with.

`--full-refresh`: incremental staging models keep rows whose raw records were deleted otherwise.
The publish runs only when the build (models and their tests) passed, as in the nightly.
"""

import os
from pathlib import Path

from pipelines.publish.assets import mart_relations, publish_all
from pipelines.transform.project import dbt_cli, dbt_project, dbt_vars, vars_arg


def rebuild_and_publish(data_dir: Path, run_id: str) -> str:
    """Build every model with `--full-refresh` over `data_dir`'s warehouse and publish as `run_id`."""
    env = {**os.environ, "HUB_DATA_DIR": str(data_dir)}
    os.environ["HUB_DATA_DIR"] = str(data_dir)  # dbt's profile reads it
    dbt_cli().cli(["build", "--full-refresh", *vars_arg(env)], target_path=dbt_project.target_path).wait()
    snapshot = publish_all(
        data_dir, data_dir / "warehouse.duckdb", [relation for _, relation in mart_relations()],
        run_id=run_id, reporting_currency=dbt_vars(env)["reporting_currency"],
    )
    return snapshot.run_id
