"""Pipeline runs repository: a run is one `sxp run` (or one scheduled cycle); its gate passes
share the per-run credit budget (`ledger_of_run`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

from sxp.adapters.postgres.named_sql import query

Conn = psycopg.Connection[Any]


def open_run(conn: Conn, origin: str) -> int:
    row = conn.execute(query("runs", "open"), {"origin": origin}).fetchone()
    assert row is not None
    return int(row["id"])


def started_at(conn: Conn, run_id: int) -> datetime:
    row = conn.execute("SELECT started_at FROM execution.pipeline_runs WHERE id = %s",
                       (run_id,)).fetchone()
    assert row is not None
    started: datetime = row["started_at"]
    return started


def finish_run(conn: Conn, run_id: int) -> None:
    conn.execute(query("runs", "finish"), {"id": run_id})


def finish_open_of(conn: Conn, origin: str) -> int:
    """Finish every open run of that origin (a scheduled cycle's predecessor)."""
    return conn.execute(query("runs", "finish_open_of"), {"origin": origin}).rowcount


def current_run(conn: Conn) -> int | None:
    """The newest run still open (the one a gate pass belongs to), if any."""
    row = conn.execute(query("runs", "current")).fetchone()
    return None if row is None else int(row["id"])


def ledger_of_run(conn: Conn, run_id: int, provider: str) -> tuple[int, int]:
    """(reserved, released) credits of one provider by the batches of run `run_id`."""
    row = conn.execute(query("runs", "ledger_of_run"),
                       {"run_id": run_id, "provider": provider}).fetchone()
    assert row is not None
    return int(row["reserved"]), int(row["released"])


def record_gate_pass(conn: Conn, run_id: int | None, *, provider: str, eligible: int,
                     cards_queued: int, out_of_budget: int, ineligible: int, batches: int,
                     credits_reserved: int, credits_available: int) -> None:
    """What one gate pass decided (in the pass's own transaction)."""
    conn.execute(
        "INSERT INTO execution.gate_passes (run_id, provider, eligible, cards_queued,"
        " out_of_budget, ineligible, batches, credits_reserved, credits_available)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (run_id, provider, eligible, cards_queued, out_of_budget, ineligible, batches,
         credits_reserved, credits_available))
