"""Copy the built marts into their own DuckDB file for BI, swapped in atomically.

BI tools hold the marts file open; the warehouse stays free for the next run. The copy is
written beside the target and renamed over it, so a reader sees the old file or the new
one, never half of either.
"""

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class Relation:
    """A table in the warehouse: its schema and name."""

    schema: str
    name: str


def publish_marts(warehouse: Path, marts_file: Path, relations: list[Relation]) -> dict[str, int]:
    """Copy `relations` from `warehouse` into `marts_file`; returns row counts per table."""
    marts_file.parent.mkdir(parents=True, exist_ok=True)
    staging_file = marts_file.with_name(f".{marts_file.name}.{os.getpid()}.tmp")
    staging_file.unlink(missing_ok=True)
    row_counts: dict[str, int] = {}
    try:
        with duckdb.connect(str(staging_file)) as con:
            con.execute("attach ? as warehouse (read_only)", [str(warehouse)])
            for relation in relations:
                con.execute(
                    f'create table main."{relation.name}" as '
                    f'select * from warehouse."{relation.schema}"."{relation.name}"'
                )
                row_counts[relation.name] = con.execute(f'select count(*) from main."{relation.name}"').fetchone()[0]
            con.execute("detach warehouse")
            con.execute("checkpoint")
        os.replace(staging_file, marts_file)
    finally:
        staging_file.unlink(missing_ok=True)
    return row_counts
