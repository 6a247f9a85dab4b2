"""The project's own data tests and DuckDB materializations catch what they claim to.

A throwaway dbt project in tmp_path uses the hub's macros and generic tests (copied beside its
own two models) on the hub's DuckDB profile: `primary_key` must fail once per duplicated key and
once per set of null columns, and an incremental model whose columns change must fail the build
with a message that says to run `--full-refresh`, which then succeeds.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
from support.dbt_harness import PROJECT_DIR, invoke_dbt, target_path

KEYED_MODEL = """
select * from (values
    (1, 'a', 'x'), (2, 'b', 'y'), (2, 'c', 'z'), (3, null, 'w'), (4, null, null), (null, 'd', 'v')
) as rows (id, name, kind)
"""
KEYED_TESTS = """
models:
  - name: keyed
    data_tests:
      - primary_key:
          key: id
          not_null: [name, kind]
  - name: keyed_clean
    data_tests:
      - primary_key:
          key: [id, name]
          not_null: [id, name]
"""
KEYED_CLEAN_MODEL = "select * from (values (1, 'a'), (1, 'b'), (2, 'a')) as rows (id, name)"
GROWING_MODEL = """
{{ config(materialized='incremental', unique_key='id') }}
select id, 'v' || id as label {% if var('extra_column', false) %}, 0 as extra{% endif %}
from range({{ var('rows', 3) }}) as r(id)
"""


def make_project(root: Path) -> Path:
    """A project of three models that borrows the hub's macros and generic tests."""
    project = root / "project"
    (project / "models").mkdir(parents=True)
    shutil.copytree(PROJECT_DIR / "macros", project / "macros")
    shutil.copytree(PROJECT_DIR / "tests" / "generic", project / "tests" / "generic")
    (project / "dbt_project.yml").write_text(
        "name: macro_checks\nversion: '1.0'\nprofile: hub\nconfig-version: 2\n"
        "models:\n  macro_checks:\n    +materialized: table\n"
    )
    models = project / "models"
    (models / "keyed.sql").write_text(KEYED_MODEL)
    (models / "keyed_clean.sql").write_text(KEYED_CLEAN_MODEL)
    (models / "keyed.yml").write_text(KEYED_TESTS)
    (models / "growing.sql").write_text(GROWING_MODEL)
    return project


def outcomes_by_model(data_dir: Path) -> dict[str, tuple[str, int]]:
    """Status and failing-row count of the last run's `primary_key` test of each model."""
    results = json.loads((target_path(data_dir) / "run_results.json").read_text())["results"]
    tests = [result for result in results if result["unique_id"].startswith("test.macro_checks.primary_key_")]
    return {
        ("keyed_clean" if "keyed_clean" in result["unique_id"] else "keyed"): (result["status"], result["failures"])
        for result in tests
    }


def test_primary_key_fails_per_duplicate_key_and_per_null_set(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    result = invoke_dbt(["build", "--select", "keyed", "keyed_clean"], tmp_path, project_dir=project)
    assert not result.success
    # key 2 twice (the null id is not a duplicate); name null alone once, name and kind together once
    assert outcomes_by_model(tmp_path) == {"keyed": ("fail", 3), "keyed_clean": ("pass", 0)}


def test_incremental_model_with_changed_columns_fails_until_a_full_refresh(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    assert invoke_dbt(["run", "--select", "growing"], tmp_path, project_dir=project).success
    assert invoke_dbt(["run", "--select", "growing", "--vars", "{rows: 5}"], tmp_path, project_dir=project).success

    changed = invoke_dbt(["run", "--select", "growing", "--vars", "{extra_column: true}"], tmp_path, project_dir=project)
    assert not changed.success
    (failed,) = changed.result.results
    assert "growing: its columns changed; run dbt build --full-refresh" in failed.message
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        # the failed build left the table as it was: five rows, two columns
        assert con.execute("select count(*), max(id) from growing").fetchone() == (5, 4)
        assert [row[0] for row in con.execute("describe growing").fetchall()] == ["id", "label"]

    rebuilt = invoke_dbt(["run", "--select", "growing", "--full-refresh", "--vars", "{extra_column: true}"],
                         tmp_path, project_dir=project)
    assert rebuilt.success
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        assert [row[0] for row in con.execute("describe growing").fetchall()] == ["id", "label", "extra"]
