"""Periodic slots repository: one row per (task, slot) that some worker instance ran."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg


def claim_slot(conn: psycopg.Connection[Any], task: str, slot_start: datetime,
               worker_id: str) -> bool:
    """Claim a task's slot in the caller's transaction: True for the one caller that does."""
    row = conn.execute(
        "INSERT INTO queue.periodic_slots (task, slot_start, claimed_by) VALUES (%s, %s, %s)"
        " ON CONFLICT (task, slot_start) DO NOTHING RETURNING task",
        (task, slot_start, worker_id),
    ).fetchone()
    return row is not None


def release_slot(conn: psycopg.Connection[Any], task: str, slot_start: datetime) -> None:
    """Give a slot back (its task failed before doing anything), so another tick retries it."""
    conn.execute("DELETE FROM queue.periodic_slots WHERE task = %s AND slot_start = %s",
                 (task, slot_start))


def prune_before(conn: psycopg.Connection[Any], cutoff: datetime) -> int:
    """Forget slots that started before `cutoff` (they are only a record of what ran)."""
    return conn.execute("DELETE FROM queue.periodic_slots WHERE slot_start < %s",
                        (cutoff,)).rowcount

