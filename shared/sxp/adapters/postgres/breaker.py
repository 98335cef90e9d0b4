"""pybreaker state kept in Postgres, so every worker and function instance sees one breaker
per provider (`execution.provider_breakers`). Each read and write is one autocommit statement.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pybreaker

from sxp.adapters.postgres.connection import AutocommitStatements, ConnectionFactory


class PostgresBreakerStorage(pybreaker.CircuitBreakerStorage):
    def __init__(
        self, name: str, connect: ConnectionFactory, initial_state: str = pybreaker.STATE_CLOSED
    ) -> None:
        super().__init__(name)
        self._db = AutocommitStatements(connect)
        self._db.execute(
            "INSERT INTO execution.provider_breakers (name, state) VALUES (%s, %s)"
            " ON CONFLICT (name) DO NOTHING",
            (name, initial_state),
        )

    def _get(self, column: str) -> Any:
        row = self._db.execute(
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
        self._db.execute(
            "UPDATE execution.provider_breakers SET state = %s, updated_at = now() WHERE name = %s",
            (state, self.name),
        )

    def increment_counter(self) -> None:
        self._db.execute(
            "UPDATE execution.provider_breakers SET fail_counter = fail_counter + 1,"
            " updated_at = now() WHERE name = %s",
            (self.name,),
        )

    def reset_counter(self) -> None:
        self._db.execute(
            "UPDATE execution.provider_breakers SET fail_counter = 0 WHERE name = %s", (self.name,)
        )

    def increment_success_counter(self) -> None:
        self._db.execute(
            "UPDATE execution.provider_breakers SET success_counter ="
            " success_counter + 1 WHERE name = %s",
            (self.name,),
        )

    def reset_success_counter(self) -> None:
        self._db.execute(
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
        self._db.execute(
            "UPDATE execution.provider_breakers SET opened_at = %s WHERE name = %s",
            (now, self.name),
        )

    def close(self) -> None:
        self._db.close()
