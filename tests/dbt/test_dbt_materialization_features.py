"""The project's own DuckDB materializations keep the dbt features people expect.

A throwaway dbt project with the hub's profile and only its `macros/materializations.sql`: a table
with `persist_docs` gets its comments, an incremental model's `incremental_predicates` narrow the
delete, and a test with `store_failures` keeps its failing rows (dbt's own test materialization).
"""

from pathlib import Path

import duckdb

from support.dbt_harness import PROJECT_DIR, invoke_dbt

PROJECT = {
    "dbt_project.yml": """
name: features
version: "1.0.0"
profile: hub
config-version: 2
models:
  features:
    +persist_docs: {relation: true, columns: true}
""",
    "models/documented.sql": "{{ config(materialized='table') }} select 1 as id",
    "models/documented.yml": """
version: 2
models:
- name: documented
  description: A documented table.
  columns:
  - name: id
    description: Its key.
  data_tests:
  - dbt_utils_free_check:
      config: {store_failures: true}
""",
    "models/narrowed.sql": """
{{ config(materialized='incremental', unique_key='id', incremental_strategy='delete+insert',
          incremental_predicates=["day >= date '2026-01-02'"]) }}
select * from (values (1, date '2026-01-01', '{{ var("step") }}'), (2, date '2026-01-02', '{{ var("step") }}'))
    as t(id, day, step)
""",
    "tests/generic/dbt_utils_free_check.sql":
        "{% test dbt_utils_free_check(model) %} select * from {{ model }} where id = 1 {% endtest %}",
}


def test_persist_docs_incremental_predicates_and_store_failures(tmp_path: Path) -> None:
    project = tmp_path / "project"
    for name, text in PROJECT.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    (project / "macros").mkdir()
    (project / "macros" / "materializations.sql").write_text((PROJECT_DIR / "macros" / "materializations.sql").read_text())

    first = invoke_dbt(["build", "--vars", "{step: a}"], tmp_path, project_dir=project)
    second = invoke_dbt(["run", "--vars", "{step: b}"], tmp_path, project_dir=project)
    assert second.success, second.exception
    failed_test = [r for r in first.result.results if r.node.resource_type == "test"]
    assert [str(r.status) for r in failed_test] == ["fail"]  # the test selects one row: it fails, stored

    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        table_comment = con.execute("select comment from duckdb_tables() where table_name = 'documented'").fetchone()
        column_comment = con.execute(
            "select comment from duckdb_columns() where table_name = 'documented' and column_name = 'id'").fetchone()
        narrowed = con.execute("select id, step from narrowed order by id, step").fetchall()
        stored = con.execute(
            "select count(*) from duckdb_tables() where schema_name like '%dbt_test__audit'").fetchone()
    assert (table_comment, column_comment) == (("A documented table.",), ("Its key.",))
    # the predicate kept day 2026-01-01 out of the delete: id 1's old row stays beside its new one
    assert narrowed == [(1, "a"), (1, "b"), (2, "b")]
    assert stored == (1,)
