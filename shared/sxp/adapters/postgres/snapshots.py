"""One transaction's view shared with worker sessions (`pg_export_snapshot`).

The cards step and the export read what a worker works on in the worker's own session: the
step exports its transaction's snapshot, and each worker reads in a read-only transaction
that takes it, so it sees exactly what the step's transaction saw (not what other sessions
committed since) for as long as that transaction lasts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import tuple_row


def export_snapshot(conn: psycopg.Connection[Any]) -> str:
    """The snapshot of the connection's open transaction, for other sessions to take."""
    with conn.cursor(row_factory=tuple_row) as cur:
        row = cur.execute("SELECT pg_export_snapshot()").fetchone()
    assert row is not None
    return str(row[0])


@contextmanager
def reading_as(conn: psycopg.Connection[Any], snapshot: str) -> Iterator[None]:
    """A read-only transaction on `conn` (idle: the isolation level is set by a transaction's
    first statement) that sees what the exporting transaction saw."""
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
        yield
