"""Activity per day, for the console's charts: rows loaded and credits spent."""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg

Conn = psycopg.Connection[Any]


def rows_per_day(conn: Conn, days: int) -> list[tuple[date, int, int]]:
    """(day, rows loaded, rows rejected) for each of the last `days` days, oldest first."""
    rows = conn.execute(
        "SELECT d::date AS day, coalesce(sum(f.rows_loaded), 0) AS loaded,"
        "       coalesce(sum(f.rows_rejected), 0) AS rejected"
        "  FROM generate_series(current_date - (%(days)s - 1), current_date, '1 day') d"
        "  LEFT JOIN social.source_files f ON f.finished_at::date = d::date"
        " GROUP BY d ORDER BY d", {"days": days}).fetchall()
    return [(r["day"], int(r["loaded"]), int(r["rejected"])) for r in rows]


def credits_per_day(conn: Conn, days: int) -> list[tuple[date, dict[str, int]]]:
    """(day, credits spent per provider) for each of the last `days` days, oldest first."""
    rows = conn.execute(
        "SELECT d::date AS day, l.provider, coalesce(sum(l.credits), 0) AS credits"
        "  FROM generate_series(current_date - (%(days)s - 1), current_date, '1 day') d"
        "  LEFT JOIN execution.credit_ledger l ON l.budget_day = d::date AND l.entry = 'spend'"
        " GROUP BY d, l.provider ORDER BY d", {"days": days}).fetchall()
    out: dict[date, dict[str, int]] = {}
    for r in rows:
        spent = out.setdefault(r["day"], {})
        if r["provider"] is not None:
            spent[r["provider"]] = int(r["credits"])
    return sorted(out.items())
