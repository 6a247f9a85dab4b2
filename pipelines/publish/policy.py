"""What the publish step writes besides the rows: pseudonyms for personal columns, dbt docs, keys.

Everything comes from the dbt manifest (descriptions, `config.meta.personal_data` markings,
`primary_key` tests) and two settings (HUB_PSEUDONYM_KEY, HUB_PUBLISH_IN_CLEAR), so a mart's
yml stays the one home of what a column means and whether it identifies a person.
"""

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.privacy.markings import PERSONAL_KINDS, personal_columns
from pipelines.privacy.pseudonyms import SQL_FUNCTION, pseudonym_key

PSEUDONYM_NOTE = "Pseudonym (keyed hash, stable across tables and nights; see docs/BI.md) of: "


@dataclass(frozen=True)
class TableDocs:
    """A published table's dbt description, column descriptions and primary key (from its blocking test)."""

    description: str = ""
    columns: Mapping[str, str] = field(default_factory=dict)
    primary_key: tuple[str, ...] = ()


@dataclass(frozen=True)
class PublishPolicy:
    """Per table: docs, and which personal columns become pseudonyms under `key`."""

    key: bytes
    tables: Mapping[str, TableDocs] = field(default_factory=dict)
    personal: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    in_clear: frozenset[str] = frozenset()

    @classmethod
    def load(cls, data_dir: Path, env: Mapping[str, str] | None = None) -> "PublishPolicy":
        """The policy of the current dbt manifest and settings; the key is made on first use when unset."""
        from pipelines.settings import PrivacySettings
        from pipelines.transform.project import dbt_project

        settings = PrivacySettings.from_env(os.environ if env is None else env)
        manifest_path = Path(dbt_project.manifest_path)
        if not manifest_path.exists():
            raise FileNotFoundError(
                f"publishing needs the dbt manifest for descriptions and personal-data markings: {manifest_path} "
                "is missing; run `python -m pipelines prepare`"
            )
        manifest = json.loads(manifest_path.read_text())
        policy = cls(
            key=pseudonym_key(settings.pseudonym_key, data_dir),
            tables=table_docs(manifest),
            personal=personal_columns(manifest),
            in_clear=frozenset(settings.publish_in_clear),
        )
        policy.check()
        return policy

    def check(self) -> None:
        """Refuse HUB_PUBLISH_IN_CLEAR entries that name no marked column (a typo would publish nothing in clear)."""
        marked = {f"{table}.{column}" for table, columns in self.personal.items() for column in columns}
        unknown = sorted(self.in_clear - marked)
        if unknown:
            raise ValueError(
                f"HUB_PUBLISH_IN_CLEAR names {', '.join(unknown)}, which no mart yml marks as personal_data; "
                f"use some of: {', '.join(sorted(marked)) or '(none marked)'}"
            )

    def pseudonymised(self, table: str) -> dict[str, str]:
        """The columns of `table` published as pseudonyms, with their kind."""
        return {
            column: kind
            for column, kind in self.personal.get(table, {}).items()
            if f"{table}.{column}" not in self.in_clear
        }

    def select_list(self, table: str, columns: list[str]) -> str:
        """`table`'s columns in order, each marked one not published in clear wrapped in the pseudonym function."""
        hidden = self.pseudonymised(table)
        return ", ".join(
            f'{SQL_FUNCTION}(cast("{column}" as varchar)) as "{column}"' if column in hidden else f'"{column}"'
            for column in columns
        )

    def column_comment(self, table: str, column: str) -> str:
        """The published comment of a column: its dbt description, saying when the values are pseudonyms."""
        description = self.tables.get(table, TableDocs()).columns.get(column, "")
        kind = self.pseudonymised(table).get(column)
        if kind is None:
            return description
        return f"{PSEUDONYM_NOTE}{PERSONAL_KINDS[kind]}. {description}".strip()


def table_docs(manifest: Mapping[str, Any]) -> dict[str, TableDocs]:
    """Descriptions and primary keys of the models under `models/marts`, by published table name."""
    keys: dict[str, tuple[str, ...]] = {}
    for node in manifest["nodes"].values():
        metadata = node.get("test_metadata") or {}
        if metadata.get("name") == "primary_key" and node["config"].get("severity", "ERROR").upper() == "ERROR":
            key = metadata["kwargs"]["key"]
            keys[node["attached_node"]] = tuple(key) if isinstance(key, list) else (key,)
    docs = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and node["fqn"][1:2] == ["marts"]:
            docs[node["alias"] or node["name"]] = TableDocs(
                description=_one_line(node.get("description")),
                columns={name: _one_line(column.get("description")) for name, column in node["columns"].items()},
                primary_key=keys.get(node["unique_id"], ()),
            )
    return docs


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())
