"""Suite-wide fixtures: the dbt manifest the Dagster definitions are built from."""

import pytest


@pytest.fixture(scope="session")
def dbt_manifest() -> object:
    """Parse the dbt project once per session, as `make run` does before loading definitions."""
    from pipelines.transform.project import prepare_dbt_project

    return prepare_dbt_project()
