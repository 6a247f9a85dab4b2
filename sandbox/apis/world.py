"""Read access to the world store at a clock, shared by every vendor module."""

import copy
import sqlite3
import threading
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from sandbox.world import WORLD_END, WORLD_START


SORT_EXPRESSIONS = {"modified_at": "modified_at", "created_at": "json_extract(payload, '$.created_at')"}
MAX_ORDERINGS = 12
TAIL_ROWS = 50_000  # above this a tail costs about as much as the whole ordering


class Ordering:
    """The visible records of one resource sorted by (key, id), for offset pagination without OFFSET scans."""

    def __init__(self, rows: list[tuple[str, str, int]]) -> None:
        self.keys = [r[0] for r in rows]
        self.ids = [r[1] for r in rows]
        self.rowids = [r[2] for r in rows]

    def bounds(self, lo: str | None, hi: str | None, lo_inclusive: bool = True,
               hi_inclusive: bool = True) -> tuple[int, int]:
        """Index range of keys between lo and hi (None: unbounded)."""
        if lo is None:
            start = 0
        else:
            start = bisect_left(self.keys, lo) if lo_inclusive else bisect_right(self.keys, lo)
        if hi is None:
            end = len(self.keys)
        else:
            end = bisect_right(self.keys, hi) if hi_inclusive else bisect_left(self.keys, hi)
        return start, max(start, end)


class World:
    """A read-only store plus the sandbox clock; one SQLite connection per server thread."""

    def __init__(self, path: Path, as_of: date) -> None:
        self.path = path
        self._local = threading.local()
        self._orderings: OrderedDict[tuple, Ordering] = OrderedDict()
        self._lock = threading.Lock()
        self.set_clock(as_of)

    def set_clock(self, as_of: date) -> None:
        """Move the clock; the world shows every version visible just before `as_of` 00:00Z."""
        if not WORLD_START < as_of <= WORLD_END:
            raise ValueError(f"clock {as_of} outside the world ({WORLD_START} exclusive .. {WORLD_END})")
        self.as_of = as_of
        self.clock = f"{as_of.isoformat()}T00:00:00.000Z"

    def at(self, clock: str) -> "World":
        """The same store seen at another instant `clock` (ISO, ms, Z), sharing connections and
        orderings: HubSpot's search index lags behind the records (sandbox/apis/hubspot.py)."""
        view = copy.copy(self)
        view.clock = clock
        return view

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's connection (SQLite connections must not cross threads)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
            conn.execute("pragma cache_size = -16384")
            conn.execute("pragma mmap_size = 1073741824")
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

    def ordering(self, resource: str, scope: str, sort: str, since: str | None = None) -> Ordering:
        """Visible records sorted by `sort` then id, built once per clock and cached.

        With `since` (a lower bound on `modified_at` that the caller's range respects) a short tail,
        the usual incremental window, is read through the modified index instead of scanning the
        whole resource: after the clock moves, the next night's first page costs milliseconds, as
        it would at the vendor, rather than a scan of every version. A long tail (a full load in
        windows) builds the whole ordering once, so windows do not rescan the same rows."""
        with self._lock:
            whole = (resource, scope, sort, self.clock, None)
            found = self._cached(whole)
            if found is None and since is not None and sort == "modified_at":
                tail = (resource, scope, sort, self.clock, since)
                found = self._cached(tail) or self._tail(resource, scope, since, tail)
            if found is None:
                rows = self.query(resource, scope, order="1, 2", columns=f"{SORT_EXPRESSIONS[sort]}, id, rowid")
                found = self._remember(whole, Ordering(rows))
            return found

    def _cached(self, key: tuple) -> Ordering | None:
        found = self._orderings.get(key)
        if found is not None:
            self._orderings.move_to_end(key)
        return found

    def _remember(self, key: tuple, ordering: Ordering) -> Ordering:
        self._orderings[key] = ordering
        while len(self._orderings) > MAX_ORDERINGS:
            self._orderings.popitem(last=False)
        return ordering

    def _tail(self, resource: str, scope: str, since: str, key: tuple) -> Ordering | None:
        """Visible records modified at or after `since`, or None when there are more than TAIL_ROWS.
        A visible version was modified before the clock (the store keeps modified_at <= visible_from),
        which bounds the index range and keeps future versions out of the scan."""
        rows = self.query(resource, scope, "modified_at >= ? and modified_at < ?", (since, self.clock),
                          order="modified_at, id", limit=TAIL_ROWS + 1, columns="modified_at, id, rowid")
        return None if len(rows) > TAIL_ROWS else self._remember(key, Ordering(rows))

    def payloads(self, rowids: Sequence[int]) -> list[str]:
        """Payloads of the given rows, in the given order."""
        if not rowids:
            return []
        found = dict(self.db.execute(f"select rowid, payload from records where rowid in ({','.join('?' * len(rowids))})",
                                     list(rowids)))
        return [found[r] for r in rowids]
