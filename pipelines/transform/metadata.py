"""Row counts and a preview of each built dbt model, as dbt itself logged them.

dagster-dbt's own `fetch_row_counts()` opens the warehouse from this process while the dbt
process still holds it, which DuckDB refuses. So dbt reads them right after building each model
(the `log_node_stats` post-hook, dbt_project/macros/node_stats.sql) and logs one
`hub_node_stats {json}` line; the Dagster step attaches them to the model's Output as the
events stream, so Dagster records each model while dbt goes on with the next.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import dagster as dg

STATS_PREFIX = "hub_node_stats "


@dataclass(frozen=True)
class NodeStats:
    """What dbt logged about one built model."""

    unique_id: str
    row_count: int
    preview: list[dict[str, str | None]] | None  # first rows, every value as text; marts only

    def metadata(self) -> dict[str, dg.MetadataValue]:
        """`dagster/row_count`, and a `preview` table when dbt sent rows."""
        metadata: dict[str, dg.MetadataValue] = {"dagster/row_count": dg.MetadataValue.int(self.row_count)}
        if self.preview:
            columns = list(self.preview[0])
            metadata["preview"] = dg.MetadataValue.table(
                records=[dg.TableRecord(row) for row in self.preview],
                schema=dg.TableSchema(columns=[dg.TableColumn(name, "string") for name in columns]),
            )
        return metadata


def node_stats(raw_event: Mapping[str, Any]) -> NodeStats | None:
    """The stats in a dbt JSON log event, or None when the event is anything else."""
    message = raw_event.get("info", {}).get("msg")
    if not isinstance(message, str) or not message.startswith(STATS_PREFIX):
        return None
    stats = json.loads(message[len(STATS_PREFIX):])
    preview = json.loads(stats["preview"]) if stats.get("preview") else None
    return NodeStats(unique_id=stats["unique_id"], row_count=int(stats["row_count"]), preview=preview)
