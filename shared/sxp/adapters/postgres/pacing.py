"""Provider pacing repository: the next free send slot of each provider, shared by every
process that calls it (`ratelimit.SharedPacer`). One short autocommit UPDATE per call, on a
connection the pacer keeps; the server's clock decides, so hosts need not agree on time."""

from __future__ import annotations

import threading
from typing import Any

import psycopg

from sxp.adapters.postgres.connection import ConnectionFactory

_RESERVE = (
    "INSERT INTO contact.provider_pacing AS p (provider, next_slot)"
    " VALUES (%(provider)s, clock_timestamp() + make_interval(secs => %(interval)s))"
    " ON CONFLICT (provider) DO UPDATE SET next_slot ="
    "   greatest(p.next_slot, clock_timestamp()) + make_interval(secs => %(interval)s)"
    " RETURNING extract(epoch FROM p.next_slot - clock_timestamp())::float8"
    "   - %(interval)s AS wait_s")
_PUSH_BACK = (
    "INSERT INTO contact.provider_pacing AS p (provider, next_slot)"
    " VALUES (%(provider)s, clock_timestamp() + make_interval(secs => %(pause)s))"
    " ON CONFLICT (provider) DO UPDATE SET next_slot ="
    "   greatest(p.next_slot, clock_timestamp() + make_interval(secs => %(pause)s))")


class PostgresPacing:
    def __init__(self, connect: ConnectionFactory) -> None:
        self._connect = connect
        self._conn: psycopg.Connection[Any] | None = None
        self._lock = threading.Lock()

    def reserve(self, provider: str, interval_s: float) -> float:
        """Take the provider's next slot; the seconds to wait for it (0 when it is now)."""
        row = self._execute(_RESERVE, {"provider": provider, "interval": interval_s})
        return max(float(row["wait_s"]), 0.0) if row else 0.0

    def push_back(self, provider: str, pause_s: float) -> None:
        """No slot for anyone before `pause_s` from now (a provider asked to pause)."""
        self._execute(_PUSH_BACK, {"provider": provider, "pause": pause_s}, fetch=False)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _execute(self, sql: str, params: dict[str, Any], *, fetch: bool = True) -> Any:
        with self._lock:
            for attempt in (1, 2):  # a connection the server dropped: one fresh try
                if self._conn is None or self._conn.closed:
                    self._conn = self._connect()
                    self._conn.autocommit = True
                try:
                    cursor = self._conn.execute(sql, params)
                    return cursor.fetchone() if fetch else None
                except psycopg.OperationalError:
                    self._conn.close()
                    self._conn = None
                    if attempt == 2:
                        raise
        return None
