"""Pull outcomes repository: what a platform API said of each handle a pull job asked for."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

Conn = psycopg.Connection[Any]
OutcomeRow = tuple[str, str, str, str | None, str | None, int | None]


def counts_of_job(conn: Conn, job_id: int) -> dict[str, int]:
    """Outcomes already recorded for a pull job, counted by outcome."""
    rows = conn.execute("SELECT outcome, count(*) AS n FROM social.pull_outcomes"
                        " WHERE job_id = %s GROUP BY 1", (job_id,)).fetchall()
    return {str(r["outcome"]): int(r["n"]) for r in rows}


def record(conn: Conn, rows: Sequence[OutcomeRow]) -> None:
    """(platform, handle, outcome, reason, inbox_key, job_id) rows; a job's rows once each."""
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO social.pull_outcomes (platform, handle, outcome, reason, inbox_key,"
            " job_id) VALUES (%s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (job_id, platform, handle) WHERE job_id IS NOT NULL DO NOTHING", rows)
