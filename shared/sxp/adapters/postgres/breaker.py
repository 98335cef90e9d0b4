"""pybreaker state kept in Postgres, so every worker and function instance sees one breaker
per provider (`execution.provider_breakers`). Each read and write is one autocommit statement.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any, LiteralString, cast

import psycopg
import pybreaker

from sxp.adapters.postgres.connection import ConnectionFactory


class PostgresBreakerStorage(pybreaker.CircuitBreakerStorage):
    def __init__(
        self, name: str, connect: ConnectionFactory, initial_state: str = pybreaker.STATE_CLOSED
    ) -> None:
        super().__init__(name)
        self._connect = connect
        self._conn: psycopg.Connection[Any] | None = None
        self._lock = threading.Lock()
        self._execute(
            "INSERT INTO execution.provider_breakers (name, state) VALUES (%s, %s)"
            " ON CONFLICT (name) DO NOTHING",
            (name, initial_state),
        )

    def _execute(self, sql: LiteralString, params: tuple[Any, ...]) -> dict[str, Any] | None:
        with self._lock:
            if self._conn is None or self._conn.closed:
                self._conn = cast("psycopg.Connection[Any]", self._connect())
                self._conn.autocommit = True
            cur = self._conn.execute(sql, params)
            row: dict[str, Any] | None = cur.fetchone() if cur.description else None
            return row

    def _get(self, column: str) -> Any:
        row = self._execute(
            "SELECT state, fail_counter, success_counter, opened_at"
            " FROM execution.provider_breakers WHERE name = %s",
            (self.name,),
        )
        return None if row is None else row[column]

    @property
    def state(self) -> str:
        return str(self._get("state") or pybreaker.STATE_CLOSED)

    @state.setter
    def state(self, state: str) -> None:
        self._execute(
            "UPDATE execution.provider_breakers SET state = %s, updated_at = now() WHERE name = %s",
            (state, self.name),
        )

    def increment_counter(self) -> None:
        self._execute(
            "UPDATE execution.provider_breakers SET fail_counter = fail_counter + 1,"
            " updated_at = now() WHERE name = %s",
            (self.name,),
        )

    def reset_counter(self) -> None:
        self._execute(
            "UPDATE execution.provider_breakers SET fail_counter = 0 WHERE name = %s", (self.name,)
        )

    def increment_success_counter(self) -> None:
        self._execute(
            "UPDATE execution.provider_breakers SET success_counter ="
            " success_counter + 1 WHERE name = %s",
            (self.name,),
        )

    def reset_success_counter(self) -> None:
        self._execute(
            "UPDATE execution.provider_breakers SET success_counter = 0 WHERE name = %s",
            (self.name,),
        )

    @property
    def counter(self) -> int:
        return int(self._get("fail_counter") or 0)

    @property
    def success_counter(self) -> int:
        return int(self._get("success_counter") or 0)

    @property
    def opened_at(self) -> datetime | None:
        value = self._get("opened_at")
        return value if isinstance(value, datetime) else None

    @opened_at.setter
    def opened_at(self, now: datetime) -> None:
        self._execute(
            "UPDATE execution.provider_breakers SET opened_at = %s WHERE name = %s",
            (now, self.name),
        )

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
