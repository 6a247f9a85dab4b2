"""`python -m pipelines.privacy.inventory`: where personal data sits, generated from the markings.

One row per marked column (config.meta.personal_data in the dbt ymls), from the landed pages and
raw tables through staging and intermediate models to the marts, and what the published files
carry instead (a pseudonym, or the value when HUB_PUBLISH_IN_CLEAR lists it). A DPO reads it to
answer "where is this person?"; `forget` deletes from every place it lists.
"""

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors.streams import CATALOGUE
from pipelines.privacy.markings import PERSONAL_KINDS, markings

LAYERS = ("landing", "raw", "lake", "staging", "intermediate", "marts")


@dataclass(frozen=True)
class Place:
    """One place personal data sits: layer, relation or files, column, kind, and what BI sees of it."""

    layer: str
    where: str
    column: str
    kind: str
    published: str


def places(manifest: Mapping[str, Any], in_clear: frozenset[str] = frozenset()) -> list[Place]:
    """Every place of the manifest's markings; a raw table's landed pages and lake files come with it."""
    found = []
    for marking in markings(manifest):
        if marking.resource_type == "source":
            spec = CATALOGUE.get(marking.table)
            if spec is not None:
                found.append(Place("landing", f"$HUB_DATA_DIR/landing/<run>/{spec.system}/{spec.stream}/", "pages",
                                   marking.kind, "no"))
                found.append(Place("lake", f"$HUB_LAKE_DIR/{marking.table}/ (when set)", marking.column, marking.kind, "no"))
            found.append(Place("raw", f"{marking.schema}.{marking.table}", marking.column, marking.kind, "no"))
            continue
        node = manifest["nodes"][marking.node]
        layer = node["fqn"][1] if node["fqn"][1] in LAYERS else "models"
        published = "no"
        if layer == "marts":
            published = "in the clear" if f"{marking.table}.{marking.column}" in in_clear else "as a pseudonym"
        found.append(Place(layer, f"{marking.schema}.{marking.table}", marking.column, marking.kind, published))
    return sorted(found, key=lambda place: (LAYERS.index(place.layer) if place.layer in LAYERS else 99, place.where))


def render(found: list[Place]) -> str:
    """A markdown table of `places`, with the kinds explained."""
    lines = ["| layer | where | column | kind | published |", "|---|---|---|---|---|"]
    lines += [f"| {p.layer} | `{p.where}` | `{p.column}` | {p.kind} | {p.published} |" for p in found]
    lines += ["", "Kinds: " + "; ".join(f"**{kind}**: {meaning}" for kind, meaning in PERSONAL_KINDS.items()) + "."]
    return "\n".join(lines) + "\n"


def main() -> int:
    """Print the inventory of the current dbt manifest and HUB_PUBLISH_IN_CLEAR."""
    from pipelines.settings import PrivacySettings
    from pipelines.transform.project import dbt_project

    in_clear = frozenset(PrivacySettings.from_env(os.environ).publish_in_clear)
    print(render(places(json.loads(dbt_project.manifest_path.read_text()), in_clear)), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
