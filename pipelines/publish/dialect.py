"""`duckdb+hub://`: duckdb-engine with reflection read from DuckDB's own catalog, for BI tools.

duckdb-engine 0.17.0 (its newest release) reflects through SQLAlchemy's PostgreSQL catalog
queries. Since SQLAlchemy 2.0.45 those join `pg_catalog.pg_collation` by columns DuckDB's
emulation lacks and cast to `REGCLASS`, which DuckDB has no type for, so `get_columns` raises
"pg_collation not found" and `get_pk_constraint` "Type with name REGCLASS does not exist"
(https://github.com/Mause/duckdb_engine/issues/1379, https://github.com/duckdb/duckdb/issues/22069;
the upstream fix, https://github.com/Mause/duckdb_engine/pull/1393, is unreleased). This dialect
answers the inspector calls a BI tool makes (columns, primary keys, table comments) from
`duckdb_columns()`, `duckdb_constraints()` and `duckdb_tables()`, which also carry the COMMENTs
the publish step writes; everything else is duckdb-engine's. Registered as the SQLAlchemy
dialect `duckdb.hub` (pyproject entry point), so a URL reads `duckdb+hub:///path/marts.duckdb`.
"""

import re
from collections.abc import Callable, Iterable
from typing import Any

from duckdb_engine import Dialect as DuckDBEngineDialect
from sqlalchemy.engine import Connection
from sqlalchemy.sql import sqltypes, text

_DECIMAL = re.compile(r"(?:DECIMAL|NUMERIC)\((\d+),\s*(\d+)\)", re.IGNORECASE)
_DUCKDB_TYPES: dict[str, type[sqltypes.TypeEngine]] = {"double": sqltypes.Double, "float": sqltypes.Float}


class HubDuckDBDialect(DuckDBEngineDialect):
    """duckdb-engine's dialect with catalog reflection that works on SQLAlchemy 2.0.45 and later."""

    driver = "hub"
    supports_statement_cache = False

    def get_multi_columns(  # type: ignore[override]
        self, connection: Connection, schema: str | None = None, filter_names: Iterable[str] | None = None, **kw: Any
    ) -> list[tuple[tuple[str | None, str], list[dict[str, Any]]]]:
        """Columns of every table (or `filter_names`) in `schema`, with types, nullability and comments."""
        rows = self._catalog_rows(
            connection,
            "select table_name, column_name, data_type, is_nullable, column_default, comment "
            "from duckdb_columns() where {tables} order by table_name, column_index",
            schema,
            filter_names,
        )
        columns: dict[tuple[str | None, str], list[dict[str, Any]]] = {}
        for table, name, data_type, nullable, default, comment in rows:
            columns.setdefault((schema, table), []).append(
                {
                    "name": name,
                    "type": self._column_type(data_type),
                    "nullable": nullable,
                    "default": default,
                    "autoincrement": False,
                    "comment": comment or None,
                }
            )
        return list(columns.items())

    def get_multi_pk_constraint(  # type: ignore[override]
        self, connection: Connection, schema: str | None = None, filter_names: Iterable[str] | None = None, **kw: Any
    ) -> list[tuple[tuple[str | None, str], dict[str, Any]]]:
        """The primary key of every table in `schema` (no columns where a table declares none)."""
        tables = self._catalog_rows(connection, "select table_name from duckdb_tables() where {tables}", schema, filter_names)
        keys: dict[tuple[str | None, str], dict[str, Any]] = {
            (schema, table): {"constrained_columns": [], "name": None, "comment": None} for (table,) in tables
        }
        rows = self._catalog_rows(
            connection,
            "select table_name, constraint_name, constraint_column_names from duckdb_constraints() "
            "where constraint_type = 'PRIMARY KEY' and {tables}",
            schema,
            filter_names,
        )
        for table, name, columns in rows:
            keys[(schema, table)] = {"constrained_columns": list(columns), "name": name, "comment": None}
        return list(keys.items())

    def get_multi_foreign_keys(  # type: ignore[override]
        self, connection: Connection, schema: str | None = None, filter_names: Iterable[str] | None = None, **kw: Any
    ) -> list[tuple[tuple[str | None, str], list[dict[str, Any]]]]:
        """The foreign keys of every table in `schema` (the published marts declare none)."""
        return self._constraints(
            connection, schema, filter_names, "FOREIGN KEY",
            lambda name, columns, _, referred, referred_columns: {
                "name": name, "constrained_columns": list(columns), "referred_schema": schema,
                "referred_table": referred, "referred_columns": list(referred_columns), "options": {},
            },
        )

    def get_multi_unique_constraints(  # type: ignore[override]
        self, connection: Connection, schema: str | None = None, filter_names: Iterable[str] | None = None, **kw: Any
    ) -> list[tuple[tuple[str | None, str], list[dict[str, Any]]]]:
        """The UNIQUE constraints of every table in `schema`."""
        return self._constraints(
            connection, schema, filter_names, "UNIQUE",
            lambda name, columns, *_: {"name": name, "column_names": list(columns)},
        )

    def get_multi_check_constraints(  # type: ignore[override]
        self, connection: Connection, schema: str | None = None, filter_names: Iterable[str] | None = None, **kw: Any
    ) -> list[tuple[tuple[str | None, str], list[dict[str, Any]]]]:
        """The CHECK constraints of every table in `schema`."""
        return self._constraints(
            connection, schema, filter_names, "CHECK",
            lambda name, _, expression, *__: {"name": name, "sqltext": expression},
        )

    def get_multi_table_options(  # type: ignore[override]
        self, connection: Connection, schema: str | None = None, filter_names: Iterable[str] | None = None, **kw: Any
    ) -> list[tuple[tuple[str | None, str], dict[str, Any]]]:
        """No PostgreSQL table options (access methods, tablespaces, inheritance) exist in DuckDB."""
        tables = self._catalog_rows(connection, "select table_name from duckdb_tables() where {tables}", schema, filter_names)
        return [((schema, table), {}) for (table,) in tables]

    def _constraints(
        self,
        connection: Connection,
        schema: str | None,
        filter_names: Iterable[str] | None,
        constraint_type: str,
        shape: Callable[..., dict[str, Any]],
    ) -> list[tuple[tuple[str | None, str], list[dict[str, Any]]]]:
        """Constraints of one type per table of `schema`, each shaped for SQLAlchemy; [] where a table has none."""
        tables = self._catalog_rows(connection, "select table_name from duckdb_tables() where {tables}", schema, filter_names)
        found: dict[tuple[str | None, str], list[dict[str, Any]]] = {(schema, table): [] for (table,) in tables}
        rows = self._catalog_rows(
            connection,
            "select table_name, constraint_name, constraint_column_names, expression, referenced_table, "
            f"referenced_column_names from duckdb_constraints() where constraint_type = '{constraint_type}' and {{tables}}",
            schema,
            filter_names,
        )
        for table, *constraint in rows:
            found[(schema, table)].append(shape(*constraint))
        return list(found.items())

    def get_multi_table_comment(  # type: ignore[override]
        self, connection: Connection, schema: str | None = None, filter_names: Iterable[str] | None = None, **kw: Any
    ) -> list[tuple[tuple[str | None, str], dict[str, Any]]]:
        """The COMMENT of every table and view in `schema` (None where there is none)."""
        rows = self._catalog_rows(
            connection,
            "select table_name, comment from duckdb_tables() where {tables} "
            "union all select view_name, comment from duckdb_views() where not internal and {views}",
            schema,
            filter_names,
        )
        return [((schema, table), {"text": comment or None}) for table, comment in rows]

    def _catalog_rows(
        self, connection: Connection, sql: str, schema: str | None, filter_names: Iterable[str] | None
    ) -> list[tuple]:
        """Rows of a duckdb_*() catalog query whose `{tables}`/`{views}` filters scope it to `schema`.

        `schema` is duckdb-engine's `database.schema` (or a bare schema); None is the connection's default.
        """
        database, schema_name = self.identifier_preparer._separate(schema) if schema else (None, None)
        params: dict[str, Any] = {"database": database, "schema_name": schema_name}
        if filter_names is not None:
            params["names"] = list(filter_names)

        def scope(name_column: str) -> str:
            where = (
                "database_name = coalesce(:database, current_database()) "
                "and schema_name = coalesce(:schema_name, current_schema())"
            )
            return where + (f" and list_contains(:names, {name_column})" if filter_names is not None else "")

        statement = sql.format(tables=scope("table_name"), views=scope("view_name"))
        return [tuple(row) for row in connection.execute(text(statement), params)]

    def _column_type(self, data_type: str) -> sqltypes.TypeEngine:
        """The SQLAlchemy type of a DuckDB type name (DECIMAL keeps precision and scale)."""
        decimal = _DECIMAL.fullmatch(data_type)
        if decimal:
            return sqltypes.Numeric(int(decimal[1]), int(decimal[2]))
        base = data_type.split("(")[0].lower()
        type_class = _DUCKDB_TYPES.get(base) or self.ischema_names.get(base)
        return type_class() if type_class else sqltypes.NullType()
