"""One nightly on the tiny world (its two runs), shared by every pipelines test that reads its results."""

from collections.abc import Iterator

import dagster as dg
import pytest

from pipeline_runs import AS_OF, SCALE, SEED, NightlyRun, StagedResult
from pipelines.sandbox_env import SYSTEM_PREFIXES, sandbox_env
from sandbox.server import running_sandbox


@pytest.fixture(scope="session")
def tiny_sandbox_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The environment that points every system at a tiny sandbox, running for the session."""
    with running_sandbox(seed=SEED, scale=SCALE, as_of=AS_OF, data_dir=tmp_path_factory.mktemp("world")) as sandbox:
        yield sandbox_env(sandbox.url, list(SYSTEM_PREFIXES))


@pytest.fixture(scope="session")
def nightly(
    dbt_manifest: object, tiny_sandbox_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> NightlyRun:
    """One clean nightly, in process as `make run` runs it (ingest, then build), into its own data folder."""
    data_dir = tmp_path_factory.mktemp("nightly")
    env = {**tiny_sandbox_env, "HUB_DATA_DIR": str(data_dir)}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        from pipelines.definitions import build_definitions
        from pipelines.jobs import run_nightly_in_process

        with dg.instance_for_test() as instance:
            runs = run_nightly_in_process(build_definitions({}), instance=instance)
    return NightlyRun(StagedResult(runs), data_dir, env)

