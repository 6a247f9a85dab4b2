"""A throwaway PostgreSQL server from the binaries on the machine image, for the portability test."""

from __future__ import annotations

import csv
import glob
import io
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

BIN_GLOBS = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin")
# initdb refuses to run as root: as root, the server runs as this system user instead.
SERVICE_USER = "postgres"


def find_bin_dir() -> Path | None:
    """The first directory holding initdb and pg_ctl, PostgreSQL 15 preferred."""
    for pattern in BIN_GLOBS:
        for candidate in sorted(glob.glob(pattern), reverse=True):
            if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
                return Path(candidate)
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


@dataclass(frozen=True)
class PgServer:
    """Where the throwaway server listens; `env` is what profiles.yml's postgres target reads."""

    host: str
    port: int
    user: str
    database: str

    @property
    def env(self) -> dict[str, str]:
        """HUB_PG_* variables for the dbt postgres target."""
        return {"HUB_PG_HOST": self.host, "HUB_PG_PORT": str(self.port), "HUB_PG_USER": self.user,
                "HUB_PG_PASSWORD": "", "HUB_PG_DATABASE": self.database}

    def connect(self):  # noqa: ANN201 - psycopg2 connection, imported lazily
        """A psycopg2 connection to the database."""
        import psycopg2

        return psycopg2.connect(host=self.host, port=self.port, user=self.user, dbname=self.database)


def _as_service_user(cmd: Sequence[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", SERVICE_USER, "--", *cmd]
    return list(cmd)


@contextmanager
def running_postgres(bin_dir: Path, port: int) -> Iterator[PgServer]:
    """initdb into a temp dir, start on 127.0.0.1:`port` with trust auth, stop and delete on exit."""
    root = Path(tempfile.mkdtemp(prefix="hub-pg-"))
    data, log = root / "data", root / "server.log"
    if os.geteuid() == 0:
        shutil.chown(root, SERVICE_USER)
    root.chmod(0o700)
    user, database = "hub", "hub"
    try:
        subprocess.run(_as_service_user([str(bin_dir / "initdb"), "-D", str(data), "-U", user,
                                         "--auth=trust", "-E", "UTF8", "--no-sync"]),
                       check=True, capture_output=True)
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(_as_service_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options,
                                         "-l", str(log), "-w", "start"]),
                       check=True, capture_output=True)
        try:
            subprocess.run(_as_service_user([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p",
                                             str(port), "-U", user, database]),
                           check=True, capture_output=True)
            yield PgServer("127.0.0.1", port, user, database)
        finally:
            subprocess.run(_as_service_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast",
                                             "-w", "stop"]), capture_output=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def copy_raw_tables(warehouse: Path, server: PgServer, tables: Sequence[str]) -> None:
    """Copy raw.<table> from the DuckDB warehouse into PostgreSQL (the record as jsonb)."""
    with duckdb.connect(str(warehouse)) as source, server.connect() as target:
        cur = target.cursor()
        cur.execute("create schema if not exists raw")
        for table in tables:
            cur.execute(
                f"create table raw.{table} (_pk varchar, _scope varchar, _cursor varchar,"
                " _record jsonb, _run_id varchar, _loaded_at timestamp)"
            )
            rows = source.execute(
                f"select _pk, _scope, _cursor, cast(_record as varchar), _run_id, _loaded_at"
                f" from raw.{table}"
            ).fetchall()
            buffer = io.StringIO()
            csv.writer(buffer).writerows(rows)
            buffer.seek(0)
            cur.copy_expert(f"copy raw.{table} from stdin with (format csv)", buffer)
        target.commit()
