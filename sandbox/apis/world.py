"""Read access to the world store at a clock, shared by every vendor module."""

import sqlite3
import threading
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from sandbox.world import WORLD_END, WORLD_START


class World:
    """A read-only store plus the sandbox clock; one SQLite connection per server thread."""

    def __init__(self, path: Path, as_of: date) -> None:
        self.path = path
        self._local = threading.local()
        self.set_clock(as_of)

    def set_clock(self, as_of: date) -> None:
        """Move the clock; the world shows every version visible just before `as_of` 00:00Z."""
        if not WORLD_START < as_of <= WORLD_END:
            raise ValueError(f"clock {as_of} outside the world ({WORLD_START} exclusive .. {WORLD_END})")
        self.as_of = as_of
        self.clock = f"{as_of.isoformat()}T00:00:00.000Z"

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's connection (SQLite connections must not cross threads)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
            conn.execute("pragma cache_size = -65536")
            self._local.conn = conn
        return conn

    def query(self, resource: str, scope: str, where: str = "", params: Sequence = (), order: str = "id",
              limit: int | None = None, offset: int = 0, columns: str = "id, payload") -> list[tuple]:
        """Visible versions of `resource` under `scope` matching `where`, ordered and sliced."""
        sql = (f"select {columns} from records where resource = ? and scope = ? and visible_from < ? "
               f"and (visible_to is null or visible_to >= ?) {('and ' + where) if where else ''} order by {order}")
        args: list = [resource, scope, self.clock, self.clock, *params]
        if limit is not None:
            sql += " limit ? offset ?"
            args += [limit, offset]
        return self.db.execute(sql, args).fetchall()

    def count(self, resource: str, scope: str, where: str = "", params: Sequence = ()) -> int:
        """How many visible versions match (one per record)."""
        return self.query(resource, scope, where, params, order="1", columns="count(*)")[0][0]

    def get(self, resource: str, scope: str, id_: str) -> str | None:
        """The visible payload of one record, or None."""
        rows = self.query(resource, scope, "id = ?", (id_,), columns="payload")
        return rows[0][0] if rows else None
