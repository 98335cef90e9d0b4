"""Postgres connections: one factory, role switch per service, nothing opened at import."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
from psycopg.rows import dict_row

DictConnection = psycopg.Connection[dict[str, Any]]
ConnectionFactory = Callable[[], DictConnection]


def connection_factory(uri: str, role: str | None = None) -> ConnectionFactory:
    """Return a callable that opens a new connection, switched to `role` when given."""

    def connect() -> DictConnection:
        conn = psycopg.connect(uri, row_factory=dict_row)
        if role:
            conn.execute(psycopg.sql.SQL("SET ROLE {}").format(psycopg.sql.Identifier(role)))
            conn.commit()
        return conn

    return connect
