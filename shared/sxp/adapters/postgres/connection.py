"""Postgres connections: one factory, role switch per service, nothing opened at import."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
from psycopg.rows import dict_row

ConnectionFactory = Callable[[], psycopg.Connection]


def connection_factory(uri: str, role: str | None = None) -> ConnectionFactory:
    """Return a callable that opens a new connection, switched to `role` when given."""

    def connect() -> psycopg.Connection:
        conn = psycopg.connect(uri, row_factory=dict_row)  # type: ignore[arg-type]
        if role:
            conn.execute(psycopg.sql.SQL("SET ROLE {}").format(psycopg.sql.Identifier(role)))
            conn.commit()
        return conn

    return connect
