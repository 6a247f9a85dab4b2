"""Copy the built marts into their own DuckDB file for BI, swapped in atomically.

BI tools hold the marts file open; the warehouse stays free for the next run. The copy is
written beside the target and renamed over it, so a reader sees the old file or the new
one, never half of either. The file records which snapshot it is in `_published`. Personal
columns are published as pseudonyms, every table and column carries its dbt description as
a COMMENT and tables their primary key (policy.py), so BI tools show and join them.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from connectors import warehouse as warehouse_db
from pipelines.privacy.pseudonyms import register_pseudonym_function
from pipelines.publish.atomic import remove_stale_staging, staging_path, swap_in
from pipelines.publish.policy import PublishPolicy

log = logging.getLogger(__name__)

# One row per published table; every row of one file carries the same run id and time.
PUBLISHED_TABLE = "_published"
PUBLISHED_DESCRIPTION = "Which snapshot this file is: one row per published table, all rows from the same publish."
# Its columns: type and description (the data dictionary and the file's COMMENTs read them here).
PUBLISHED_COLUMNS = {
    "run_id": ("varchar", "Dagster run that built and published these marts."),
    "published_at": ("timestamp", "When the snapshot was swapped in (UTC)."),
    "as_of": (
        "date",
        "The report clock the dbt build used (HUB_AS_OF, else the day after the data's latest day): the marts "
        "count what happened before this day, and the current month's backlog is as of it.",
    ),
    "reporting_currency": ("varchar", "Currency of every amount in the marts (dbt var `reporting_currency`)."),
    "table_name": ("varchar", "A published table."),
    "row_count": ("bigint", "Its rows in this snapshot."),
}
# Written in the storage format of DuckDB 1.0, so BI tools that bundle an older DuckDB
# (the Metabase driver, Evidence, a system CLI) can open the file.
MARTS_STORAGE_VERSION = "v1.0.0"
# Publishing streams tables from file to file; a small buffer pool does it nearly as fast
# (large: 2.2 s at 64MB and one thread, 1.6 s at the warehouse's 256MB) and keeps the Dagster
# process, which already holds the ingest's heap when run in-process, under 500 MB.
PUBLISH_DUCKDB_SETTINGS = "set memory_limit = '64MB'; set threads = 1"
# The dbt model that holds the build's clock (`as_of_date`, one value in every row).
CLOCK_MODEL = "int_report_months__spined"


@dataclass(frozen=True)
class Relation:
    """A table in the warehouse: its schema and name."""

    schema: str
    name: str


@dataclass(frozen=True)
class Snapshot:
    """What one publish produced: the run behind it, when, in which currency, rows per table, and the data's clock."""

    run_id: str
    published_at: datetime
    reporting_currency: str
    row_counts: dict[str, int]
    as_of: date | None = None  # None: the warehouse held no clock model (a hand-made one in tests)


def publish_marts(
    warehouse: Path,
    marts_file: Path,
    relations: list[Relation],
    run_id: str,
    reporting_currency: str,
    policy: PublishPolicy | None = None,
    as_of: date | None = None,
) -> Snapshot:
    """Copy `relations` from `warehouse` into `marts_file` as one new snapshot, swapped in whole.

    `policy` (default: the dbt manifest's and the settings', key from the marts file's folder)
    says which columns become pseudonyms and what the COMMENTs and primary keys are. `as_of`
    (default: the clock of the dbt build, read from `CLOCK_MODEL` in `warehouse`) is the data's as-of day.
    """
    policy = policy or PublishPolicy.load(marts_file.parent)
    marts_file.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(marts_file)
    staging_file = staging_path(marts_file)
    staging_file.unlink(missing_ok=True)
    published_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    row_counts: dict[str, int] = {}
    try:
        # The connectors' way in: their lock, so a concurrent run's load waits for the copy.
        with warehouse_db.connect(warehouse, read_only=True) as con:
            con.execute(PUBLISH_DUCKDB_SETTINGS)
            register_pseudonym_function(con, policy.key)
            (source,) = con.execute("select current_database()").fetchone()
            as_of = as_of or _build_clock(con, source)
            con.execute(
                f"attach ? as marts (read_only false, storage_version '{MARTS_STORAGE_VERSION}')", [str(staging_file)]
            )
            for relation in relations:
                columns = _columns(con, source, relation)
                con.execute(
                    f'create table marts.main."{relation.name}" as select {policy.select_list(relation.name, columns)} '
                    f'from "{source}"."{relation.schema}"."{relation.name}"'
                )
                _describe(con, relation.name, columns, policy)
                row_counts[relation.name] = con.execute(
                    f'select count(*) from marts.main."{relation.name}"'
                ).fetchone()[0]
            con.execute("use marts")
            _record_snapshot(con, Snapshot(run_id, published_at, reporting_currency, row_counts, as_of))
            # Everything into the main file: a reader must never need a WAL we did not ship.
            con.execute("checkpoint marts")
            con.execute(f'use "{source}"')
            con.execute("detach marts")
        _remove_stray_wal(marts_file)
        swap_in(staging_file, marts_file)
    finally:
        staging_file.unlink(missing_ok=True)
        staging_file.with_name(staging_file.name + ".wal").unlink(missing_ok=True)
    log.info("published %d tables of run %s to %s", len(row_counts), run_id, marts_file)
    return Snapshot(run_id, published_at, reporting_currency, row_counts, as_of)


def _build_clock(con: duckdb.DuckDBPyConnection, database: str) -> date | None:
    """The clock the dbt build used (`CLOCK_MODEL.as_of_date`), or None when the warehouse has no such model."""
    schemas = con.execute(
        "select schema_name from duckdb_tables() where database_name = ? and table_name = ? order by schema_name",
        [database, CLOCK_MODEL],
    ).fetchall()
    if not schemas:
        log.warning("%s is not in the warehouse: _published.as_of is left empty", CLOCK_MODEL)
        return None
    (as_of,) = con.execute(f'select max(as_of_date) from "{database}"."{schemas[0][0]}"."{CLOCK_MODEL}"').fetchone()
    return as_of


def _columns(con: duckdb.DuckDBPyConnection, database: str, relation: Relation) -> list[str]:
    """The columns of a warehouse relation, in order; a clear error when it is not there."""
    columns = [
        name
        for (name,) in con.execute(
            "select column_name from duckdb_columns() where database_name = ? and schema_name = ? and table_name = ? "
            "order by column_index",
            [database, relation.schema, relation.name],
        ).fetchall()
    ]
    if not columns:
        raise duckdb.CatalogException(
            f"{relation.schema}.{relation.name} is not in the warehouse: build the marts before publishing"
        )
    return columns


def _describe(con: duckdb.DuckDBPyConnection, table: str, columns: list[str], policy: PublishPolicy) -> None:
    """The table's and its columns' dbt descriptions as COMMENTs, and its primary key."""
    docs = policy.tables.get(table)
    if docs and docs.description:
        con.execute(f'comment on table marts.main."{table}" is {sql_literal(docs.description)}')
    for column in columns:
        comment = policy.column_comment(table, column)
        if comment:
            con.execute(f'comment on column marts.main."{table}"."{column}" is {sql_literal(comment)}')
    if docs and docs.primary_key and set(docs.primary_key) <= set(columns):
        key = ", ".join(f'"{column}"' for column in docs.primary_key)
        con.execute(f'alter table marts.main."{table}" add primary key ({key})')


def sql_literal(text: str | Path) -> str:
    """A quoted SQL string literal, for statements that take no parameters (COMMENT ON, COPY's options)."""
    return "'" + str(text).replace("'", "''") + "'"


def _remove_stray_wal(marts_file: Path) -> None:
    """Delete a WAL someone left by opening the published file read-write: it belongs to no new file."""
    wal = marts_file.with_name(marts_file.name + ".wal")
    if wal.exists():
        log.warning("removing %s: a reader opened the published marts read-write; open them read-only", wal)
        wal.unlink()


def _record_snapshot(con: duckdb.DuckDBPyConnection, snapshot: Snapshot) -> None:
    """Write `_published`: which run, when (UTC), the data's as-of day, currency, and the row count of every table."""
    con.execute(
        f"create table {PUBLISHED_TABLE} (run_id varchar not null, published_at timestamp not null, as_of date, "
        "reporting_currency varchar not null, table_name varchar primary key, row_count bigint not null)"
    )
    con.execute(f"comment on table {PUBLISHED_TABLE} is {sql_literal(PUBLISHED_DESCRIPTION)}")
    for column, (_, description) in PUBLISHED_COLUMNS.items():
        con.execute(f'comment on column {PUBLISHED_TABLE}."{column}" is {sql_literal(description)}')
    con.executemany(
        f"insert into {PUBLISHED_TABLE} values (?, ?, ?, ?, ?, ?)",
        [
            [snapshot.run_id, snapshot.published_at, snapshot.as_of, snapshot.reporting_currency, name, count]
            for name, count in snapshot.row_counts.items()
        ],
    )


def read_snapshot(marts_file: Path) -> Snapshot:
    """The snapshot a published marts file holds, opened read-only as a BI reader would."""
    with duckdb.connect(str(marts_file), read_only=True) as con:
        return snapshot_of(con)


def snapshot_of(con: duckdb.DuckDBPyConnection) -> Snapshot:
    """The snapshot behind an open connection to a marts file (same connection, same snapshot)."""
    rows = con.execute(
        f"select run_id, published_at, as_of, reporting_currency, table_name, row_count "
        f"from {PUBLISHED_TABLE} order by table_name"
    ).fetchall()
    if not rows:
        raise ValueError(f"the marts file has an empty {PUBLISHED_TABLE} table: it was not written by publish_marts")
    run_id, published_at, as_of, currency = rows[0][:4]
    return Snapshot(run_id, published_at, currency, {row[4]: row[5] for row in rows}, as_of)
