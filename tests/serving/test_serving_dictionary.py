"""docs/DATA_DICTIONARY.md is the generator's output for the current dbt docs (tables and columns)."""

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


def test_committed_dictionary_lists_every_published_table_and_column(dbt_manifest: object) -> None:
    manifest = json.loads(Path(dbt_project.manifest_path).read_text())
    assert len(published_models(manifest)) > 10, "the manifest has too few marts: the comparison would prove little"
    want = tables_and_columns(render_dictionary(manifest))
    assert tables_and_columns(DEFAULT_OUTPUT.read_text()) == want, FIX


def test_every_column_of_a_contracted_mart_has_a_description(dbt_manifest: object) -> None:
    manifest = json.loads(Path(dbt_project.manifest_path).read_text())
    undocumented = [
        f"{node['name']}.{column['name']}"
        for node in published_models(manifest)
        if node["name"].startswith("mart_")
        for column in node["columns"].values()
        if not column.get("description")
    ]
    assert undocumented == []
