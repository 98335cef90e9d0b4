"""Postgres connections: one factory, role switch per service, nothing opened at import."""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any, LiteralString

import orjson
import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import set_json_loads
from psycopg_pool import ConnectionPool

DictConnection = psycopg.Connection[dict[str, Any]]
ConnectionFactory = Callable[[], DictConnection]


def connection_factory(uri: str, role: str | None = None) -> ConnectionFactory:
    """Return a callable that opens a new connection, switched to `role` when given."""

    def connect() -> DictConnection:
        conn = psycopg.connect(uri, row_factory=dict_row)
        set_json_loads(json_loads, conn)
        if role:
            conn.execute(psycopg.sql.SQL("SET ROLE {}").format(psycopg.sql.Identifier(role)))
            conn.commit()
        return conn

    return connect


_process_connections: dict[tuple[str, str | None], DictConnection] = {}


def process_connection(uri: str, role: str | None = None) -> DictConnection:
    """This process's one connection to `uri` as `role`, opened on first use and closed as the
    process exits (a worker process of `worker_pool`, which lets its workers finish)."""
    from multiprocessing import util

    conn = _process_connections.get((uri, role))
    if conn is None:
        conn = _process_connections[uri, role] = connection_factory(uri, role)()
        util.Finalize(None, conn.close, exitpriority=10)
    return conn


def connection_pool(uri: str, role: str | None = None, *, max_size: int = 8) -> ConnectionPool:
    """A pool of autocommit connections switched to `role`, for a service that answers many
    short requests (the API): a read is one round trip, and writes that must commit together
    use `conn.transaction()`. Opened at once, closed with the App."""

    def configure(conn: psycopg.Connection[Any]) -> None:
        set_json_loads(json_loads, conn)
        if role:
            conn.execute(psycopg.sql.SQL("SET ROLE {}").format(psycopg.sql.Identifier(role)))
            conn.commit()
        conn.autocommit = True

    return ConnectionPool(uri, kwargs={"row_factory": dict_row}, configure=configure,
                          min_size=1, max_size=max_size, open=True, name="sxp")


# a run of 19 digits or more: an integer orjson could only read as a float (beyond 64 bits)
_LONG_DIGITS = re.compile(rb"[0-9]{19}")


def json_loads(data: str | bytes) -> Any:
    """A json or jsonb value as Python, as the standard library reads it, but with orjson's
    parser where that gives the same value (fetching 200,000 rows with one small jsonb array
    took 1.6 s instead of 2.2-2.9). Values with a run of 19 digits (an integer orjson would
    read as a float) or that orjson refuses (1e400) go to `json.loads`."""
    raw = data.encode() if isinstance(data, str) else data  # psycopg passes bytes
    if _LONG_DIGITS.search(raw) is None:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return json.loads(raw)


class AutocommitStatements:
    """One autocommit connection, opened on first use (and again if it dropped) and shared by
    threads: every call is one statement that commits at once."""

    def __init__(self, connect: ConnectionFactory) -> None:
        self._connect = connect
        self._conn: DictConnection | None = None
        self._lock = threading.Lock()

    def execute(self, sql: LiteralString, params: tuple[Any, ...]) -> dict[str, Any] | None:
        """Run `sql`; its first row, or None when it returns no rows."""
        with self._lock:
            if self._conn is None or self._conn.closed:
                self._conn = self._connect()
                self._conn.autocommit = True
            cur = self._conn.execute(sql, params)
            return cur.fetchone() if cur.description else None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


@contextlib.contextmanager
def session_lock(conn: psycopg.Connection[Any], key: int) -> Iterator[None]:
    """Hold the advisory lock `key` on `conn` for the block (committed at once, so it is not
    tied to a transaction); the block's work runs on other connections."""
    conn.execute("SELECT pg_advisory_lock(%s)", (key,))
    conn.commit()
    try:
        yield
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
        conn.commit()
