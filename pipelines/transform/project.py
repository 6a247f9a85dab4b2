"""The dbt project as Dagster sees it: one cached `DbtProject`, prepared outside import time."""

import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
# dbt from this interpreter's environment, so a PATH without the venv still finds it.
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def dbt_cli() -> DbtCliResource:
    """The dbt CLI resource every dbt call of the hub goes through."""
    return DbtCliResource(project_dir=dbt_project, dbt_executable=str(DBT_EXECUTABLE))


def prepare_dbt_project() -> Path:
    """Parse the dbt project into `target/manifest.json`, which the dbt assets are built from."""
    dbt_cli().cli(["parse", "--quiet"], target_path=dbt_project.target_path).wait()
    return dbt_project.manifest_path
