"""The data dictionary: generated from the dbt docs, and the committed copy names every published table.

The committed copy is compared on its tables only: columns change with the dbt project, and a
column added there should not fail the build until someone regenerates the docs (the fix below).
"""

import json
import re
from pathlib import Path

from pipelines.publish.dictionary import DEFAULT_OUTPUT, published_models, render_dictionary
from pipelines.transform.project import dbt_project

FIX = "regenerate it: python -m pipelines.publish.dictionary --types-from data/marts.duckdb (see docs/BI.md)"


def tables_and_columns(markdown: str) -> dict[str, list[str]]:
    """`## \\`table\\`` headings and the first cell of each table row under them."""
    found: dict[str, list[str]] = {}
    table = None
    for line in markdown.splitlines():
        if heading := re.fullmatch(r"## `([^`]+)`", line):
            table = heading.group(1)
            found[table] = []
        elif table and (cell := re.match(r"\| `([^`]+)` \|", line)):
            found[table].append(cell.group(1))
    return found


def manifest() -> dict:
    """The parsed dbt project (the session's `dbt_manifest` fixture wrote it)."""
    return json.loads(Path(dbt_project.manifest_path).read_text())


def test_generated_dictionary_has_every_published_table_and_column(dbt_manifest: object) -> None:
    models = published_models(manifest())
    assert len(models) > 10, "the manifest has too few marts: the comparison would prove little"
    want = {node["alias"] or node["name"]: list(node["columns"]) for node in models} | {
        "_published": ["run_id", "published_at", "as_of", "reporting_currency", "table_name", "row_count"]
    }
    assert tables_and_columns(render_dictionary(manifest())) == want


def test_committed_dictionary_names_every_published_table(dbt_manifest: object) -> None:
    want = set(tables_and_columns(render_dictionary(manifest())))
    assert set(tables_and_columns(DEFAULT_OUTPUT.read_text())) == want, FIX


def test_every_column_of_a_contracted_mart_has_a_description(dbt_manifest: object) -> None:
    undocumented = [
        f"{node['name']}.{column['name']}"
        for node in published_models(manifest())
        if node["name"].startswith("mart_")
        for column in node["columns"].values()
        if not column.get("description")
    ]
    assert undocumented == []
