"""The served night every serving test reads (see serving_helpers.py), run once per session."""

import pytest

from serving_helpers import ServedNight, serve_night


@pytest.fixture(scope="session")
def served(dbt_manifest: object, tmp_path_factory: pytest.TempPathFactory) -> ServedNight:
    """Nightly run, a failed night and a republish of the `small` world, with a BI reader throughout."""
    return serve_night(tmp_path_factory)
