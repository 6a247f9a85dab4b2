"""Parquet copies of the published marts, one stable path per table, each file swapped in whole.

Layout: `<parquet_dir>/<table>/data.parquet` for every table of the marts file, `_published`
included and written last. Each file is replaced by one rename, so a Parquet reader sees a whole
file of one snapshot; compare its `_published` with the marts file's to know which one. Each file
carries the marts file's COMMENTs as key-value metadata: `description` (the table's) and
`column_descriptions` (a JSON object, column -> description), which BI tools and
`parquet_kv_metadata()` / pyarrow's `schema.metadata` read.
"""

import json
import logging
import shutil
from pathlib import Path

import duckdb

from pipelines.publish.atomic import remove_stale_staging, staging_path, swap_in
from pipelines.publish.marts_file import PUBLISH_DUCKDB_SETTINGS, PUBLISHED_TABLE, sql_literal

log = logging.getLogger(__name__)
PARQUET_FILE_NAME = "data.parquet"


def parquet_path(parquet_dir: Path, table: str) -> Path:
    """The stable path of one table's Parquet file."""
    return parquet_dir / table / PARQUET_FILE_NAME


def export_parquet(marts_file: Path, parquet_dir: Path) -> dict[str, Path]:
    """Write every table of `marts_file` to Parquet under `parquet_dir`; returns the path per table."""
    paths: dict[str, Path] = {}
    with duckdb.connect(str(marts_file), read_only=True) as con:
        con.execute(PUBLISH_DUCKDB_SETTINGS)
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'main' order by table_name"
            ).fetchall()
        ]
        # `_published` last: once it is new, every table file before it is too.
        for table in sorted(tables, key=lambda name: name == PUBLISHED_TABLE):
            target = parquet_path(parquet_dir, table)
            target.parent.mkdir(parents=True, exist_ok=True)
            remove_stale_staging(target)
            staging = staging_path(target)
            try:
                metadata = _kv_metadata(con, table)
                con.execute(
                    f"copy (select * from main.\"{table}\") to {sql_literal(staging)} "
                    f"(format parquet, kv_metadata {metadata})"
                )
                swap_in(staging, target)
            finally:
                staging.unlink(missing_ok=True)
            paths[table] = target
    _remove_dropped_tables(parquet_dir, set(paths))
    log.info("exported %d tables to Parquet under %s", len(paths), parquet_dir)
    return paths


def _kv_metadata(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """The table's and its columns' COMMENTs as a KV_METADATA struct literal (COPY takes no parameters)."""
    (description,) = con.execute(
        "select coalesce(comment, '') from duckdb_tables() where schema_name = 'main' and table_name = ?", [table]
    ).fetchone()
    columns = dict(
        con.execute(
            "select column_name, comment from duckdb_columns() where schema_name = 'main' and table_name = ? "
            "and comment is not null order by column_index",
            [table],
        ).fetchall()
    )
    values = {"description": description, "column_descriptions": json.dumps(columns, ensure_ascii=False)}
    return "{" + ", ".join(f"{key}: {sql_literal(value)}" for key, value in values.items()) + "}"


def _remove_dropped_tables(parquet_dir: Path, kept: set[str]) -> None:
    """Remove table folders of our layout whose table is no longer published."""
    for folder in parquet_dir.iterdir():
        if folder.is_dir() and folder.name not in kept and (folder / PARQUET_FILE_NAME).exists():
            shutil.rmtree(folder)
            log.info("removed %s: the table is no longer published", folder)
