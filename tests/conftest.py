"""Suite-wide fixtures: the dbt manifest the Dagster definitions are built from, the browser."""

import os

import pytest

# Vendor API versions are judged on a fixed day, by the sandbox and the connectors alike
# (connectors/versions.py): a version sunsetting next year must not turn the suite red by itself.
os.environ.setdefault("HUB_API_VERSION_DATE", "2026-12-01")
# Published marts from two data dirs are compared cell by cell (rebuild, kill, Spark): one key,
# or each data dir would generate its own and the pseudonyms would differ.
os.environ.setdefault("HUB_PSEUDONYM_KEY", "tests-only-pseudonym-key-0123456789abcdef")

# Registered here, once: a session fixture imported into two test modules would be two
# fixtures, and a second Playwright session inside the first one fails.
from support.browser import browser, page  # noqa: F401  (pytest fixtures by name)


@pytest.fixture(scope="session")
def dbt_manifest() -> object:
    """Parse the dbt project once per session, as `make run` does before loading definitions."""
    from pipelines.transform.project import prepare_dbt_project

    return prepare_dbt_project()
