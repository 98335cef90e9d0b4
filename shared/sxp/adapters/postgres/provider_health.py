"""Error budget per provider, kept in Postgres so every worker shares it.

Each HTTP exchange is counted per minute as ok or failed (429, 5xx, timeouts, bad bodies).
When the success ratio over the last hour is below `target` (with at least `min_calls`
exchanges), the adapter is paused: calls fail fast with a retryable error and jobs wait.
"""

from __future__ import annotations

import time
from typing import Any, LiteralString

import psycopg

from sxp.adapters.postgres.connection import AutocommitStatements, ConnectionFactory

WINDOW_SQL: LiteralString = (
    "SELECT coalesce(sum(ok), 0) AS ok, coalesce(sum(failed), 0) AS failed"
    " FROM execution.provider_health WHERE provider = %s AND minute > now() - interval '1 hour'"
)


class PostgresErrorBudget:
    def __init__(
        self,
        provider: str,
        connect: ConnectionFactory,
        *,
        target: float = 0.99,
        min_calls: int = 100,
        cache_s: float = 5.0,
    ) -> None:
        self.provider = provider
        self.target = target
        self.min_calls = min_calls
        self.cache_s = cache_s
        self._db = AutocommitStatements(connect)
        self._checked: tuple[float, bool] = (0.0, False)

    def record(self, ok: bool) -> None:
        self._db.execute(
            "INSERT INTO execution.provider_health (provider, minute, ok, failed)"
            " VALUES (%s, date_trunc('minute', now()), %s, %s)"
            " ON CONFLICT (provider, minute) DO UPDATE SET ok = provider_health.ok + EXCLUDED.ok,"
            " failed = provider_health.failed + EXCLUDED.failed",
            (self.provider, int(ok), int(not ok)),
        )

    def spent(self) -> bool:
        """True while the last hour's success ratio is below target (cached a few seconds)."""
        at, value = self._checked
        if time.monotonic() - at < self.cache_s:
            return value
        row = self._db.execute(WINDOW_SQL, (self.provider,)) or {"ok": 0, "failed": 0}
        value = _spent(int(row["ok"]), int(row["failed"]), self.target, self.min_calls)
        self._checked = (time.monotonic(), value)
        return value

    def close(self) -> None:
        self._db.close()


def _spent(ok: int, failed: int, target: float, min_calls: int) -> bool:
    total = ok + failed
    return total >= min_calls and ok / total < target


def provider_health_report(
    conn: psycopg.Connection[Any], *, target: float = 0.99, min_calls: int = 100
) -> list[dict[str, Any]]:
    """For `sxp status`: per provider, breaker state and the last hour's error budget."""
    rows = conn.execute(
        "SELECT p.provider, b.state AS breaker, b.opened_at,"
        " coalesce(h.ok, 0) AS ok, coalesce(h.failed, 0) AS failed"
        " FROM (SELECT name AS provider FROM execution.provider_breakers"
        "       UNION SELECT DISTINCT provider FROM execution.provider_health) p"
        " LEFT JOIN execution.provider_breakers b ON b.name = p.provider"
        " LEFT JOIN (SELECT provider, sum(ok) AS ok, sum(failed) AS failed"
        "            FROM execution.provider_health WHERE minute > now() - interval '1 hour'"
        "            GROUP BY provider) h ON h.provider = p.provider ORDER BY p.provider"
    ).fetchall()
    report = []
    for row in rows:
        ok, failed = int(row["ok"]), int(row["failed"])
        total = ok + failed
        report.append(
            {
                "provider": row["provider"],
                "breaker": row["breaker"] or "closed",
                "calls_last_hour": total,
                "failed_last_hour": failed,
                "success_ratio": round(ok / total, 4) if total else None,
                "paused": _spent(ok, failed, target, min_calls) or row["breaker"] == "open",
            }
        )
    return report
