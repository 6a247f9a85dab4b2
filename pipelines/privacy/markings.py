"""Which columns hold personal data, read from one home: `config.meta.personal_data` in the dbt ymls.

A column is marked once, beside its description, with the kind of personal data it holds:

    - name: signer_email
      config: {meta: {personal_data: email}}

The publish step pseudonymises every marked mart column (pipelines/publish), the list of where
personal data sits is generated from the same markings (`python -m pipelines.privacy.inventory`),
and `python -m pipelines forget` deletes a person from every relation that has a marked column.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

# What each kind means; all are published as pseudonyms unless listed in HUB_PUBLISH_IN_CLEAR.
PERSONAL_KINDS: Mapping[str, str] = {
    "email": "an email address",
    "name": "a person's name (or a customer name that is a person's when the customer is a private signer)",
    "identifier": "a key or label built from an email or a name (e.g. docusign:<email>, a deal named after a person)",
    "record": "a vendor record (JSON) that holds emails, names or addresses",
}


class MarkingError(ValueError):
    """A `personal_data` marking that names no known kind."""


@dataclass(frozen=True)
class Marking:
    """One marked column: the dbt node (model or source table), its relation in the warehouse, the kind."""

    node: str
    resource_type: str
    schema: str
    table: str
    column: str
    kind: str
    description: str


def marking_of(column: Mapping[str, Any]) -> str | None:
    """The `personal_data` kind of a manifest column (under `config.meta`, or `meta` as older ymls put it)."""
    meta = {**(column.get("meta") or {}), **((column.get("config") or {}).get("meta") or {})}
    return meta.get("personal_data")


def markings(manifest: Mapping[str, Any]) -> list[Marking]:
    """Every marked column of every model and source in the manifest, sorted by relation and column."""
    found = []
    for node in _nodes(manifest):
        table = node.get("alias") or node.get("identifier") or node["name"]
        for column in (node.get("columns") or {}).values():
            kind = marking_of(column)
            if kind is None:
                continue
            if kind not in PERSONAL_KINDS:
                raise MarkingError(
                    f"{node['unique_id']} column {column['name']!r}: personal_data {kind!r} is not one of "
                    f"{', '.join(PERSONAL_KINDS)}; fix its yml (config.meta.personal_data)"
                )
            found.append(
                Marking(
                    node["unique_id"], node["resource_type"], node["schema"], table, column["name"], kind,
                    " ".join((column.get("description") or "").split()),
                )
            )
    return sorted(found, key=lambda marking: (marking.schema, marking.table, marking.column))


def personal_columns(manifest: Mapping[str, Any], schema_folder: str = "marts") -> dict[str, dict[str, str]]:
    """Marked columns of the models under `models/<schema_folder>`: {table: {column: kind}}."""
    folder_models = {
        node["unique_id"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1:2] == [schema_folder]
    }
    columns: dict[str, dict[str, str]] = {}
    for marking in markings(manifest):
        if marking.node in folder_models:
            columns.setdefault(marking.table, {})[marking.column] = marking.kind
    return columns


def _nodes(manifest: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield from (node for node in manifest["nodes"].values() if node["resource_type"] == "model")
    yield from manifest.get("sources", {}).values()
