"""Deliveries repository (`execution.deliveries`): the handoff outbox.

One delivery per published batch, written in the publishing transaction. A deliverer records
each attempt before it makes it (so a killed deliverer's attempt still counts) and its outcome
after; a consumer's acknowledgement ends the delivery's story.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

Conn = psycopg.Connection[Any]
FINAL_STATES = ("delivered", "acknowledged", "dead")


@dataclass(frozen=True)
class Delivery:
    id: int
    batch_id: str
    consumer_id: int
    consumer: str
    consumer_state: str
    transport: str
    settings: dict[str, Any]
    state: str
    attempts: int
    event_id: str
    last_status: int | None
    last_error: str | None
    stream_id: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    acknowledged_at: datetime | None
    # the batch
    sequence: int
    previous_batch_id: str | None
    manifest_key: str
    manifest_sha256: str
    record_count: int
    withdrawal_count: int
    counts_by_execution_label: dict[str, int]
    batch_created_at: datetime


_SELECT = (
    "SELECT d.id, d.batch_id, d.consumer_id, c.name AS consumer, c.state AS consumer_state,"
    " d.transport, c.settings, d.state, d.attempts, d.event_id, d.last_status, d.last_error,"
    " d.stream_id, d.created_at, d.next_attempt_at, d.delivered_at, d.acknowledged_at,"
    " b.sequence, b.previous_batch_id, b.manifest_key, b.manifest_sha256,"
    " b.card_count AS record_count, b.withdrawal_count, b.counts_by_execution_label,"
    " b.created_at AS batch_created_at"
    " FROM execution.deliveries d JOIN execution.consumers c ON c.id = d.consumer_id"
    " JOIN execution.export_batches b ON b.id = d.batch_id")


def create(conn: Conn, *, batch_id: str, consumer_id: int, transport: str) -> int:
    """The batch's delivery, in the caller's (publishing) transaction."""
    row = conn.execute(
        "INSERT INTO execution.deliveries (batch_id, consumer_id, transport, event_id)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT (batch_id) DO UPDATE SET batch_id = EXCLUDED.batch_id"
        " RETURNING id", (batch_id, consumer_id, transport, f"msg_{batch_id}")).fetchone()
    assert row is not None
    return int(row["id"])


def get(conn: Conn, delivery_id: int) -> Delivery | None:
    row = conn.execute(_SELECT + " WHERE d.id = %s", (delivery_id,)).fetchone()
    return None if row is None else Delivery(**row)


def of_batch(conn: Conn, consumer_id: int, batch_id: str) -> Delivery | None:
    row = conn.execute(_SELECT + " WHERE d.batch_id = %s AND d.consumer_id = %s",
                       (batch_id, consumer_id)).fetchone()
    return None if row is None else Delivery(**row)


def start_attempt(conn: Conn, delivery_id: int) -> int:
    """Count the attempt about to be made (committed first); its number."""
    with conn.transaction():
        row = conn.execute(
            "UPDATE execution.deliveries SET attempts = attempts + 1, last_attempt_at = now()"
            " WHERE id = %s RETURNING attempts", (delivery_id,)).fetchone()
    assert row is not None
    return int(row["attempts"])


def finish_attempt(conn: Conn, delivery_id: int, *, state: str, status: int | None,
                   error: str | None, stream_id: str | None = None,
                   retry_in_s: float | None = None) -> None:
    """The attempt's outcome, in the caller's transaction."""
    conn.execute(
        "UPDATE execution.deliveries SET state = %(state)s, last_status = %(status)s,"
        " last_error = %(error)s, stream_id = coalesce(%(stream)s, stream_id),"
        " next_attempt_at = CASE WHEN %(retry)s::float8 IS NULL THEN NULL"
        "   ELSE now() + make_interval(secs => %(retry)s::float8) END,"
        " delivered_at = CASE WHEN %(state)s = 'delivered' THEN coalesce(delivered_at, now())"
        "   ELSE delivered_at END WHERE id = %(id)s",
        {"state": state, "status": status, "error": None if error is None else error[:1000],
         "stream": stream_id, "retry": retry_in_s, "id": delivery_id})


def listed(conn: Conn, *, consumer: str | None = None, state: str | None = None,
           limit: int = 100) -> list[Delivery]:
    rows = conn.execute(
        _SELECT + " WHERE (%(consumer)s::text IS NULL OR c.name = %(consumer)s)"
        " AND (%(state)s::text IS NULL OR d.state = %(state)s) ORDER BY d.id DESC"
        " LIMIT %(limit)s", {"consumer": consumer, "state": state, "limit": limit})
    return [Delivery(**r) for r in rows]


def replay(conn: Conn, delivery_id: int) -> bool:
    """Send a delivery again from its first attempt (the event keeps its id)."""
    return conn.execute(
        "UPDATE execution.deliveries SET state = 'pending', attempts = 0, last_error = NULL,"
        " next_attempt_at = NULL WHERE id = %s", (delivery_id,)).rowcount == 1


def paused_of(conn: Conn, consumer_id: int) -> list[int]:
    """Deliveries the consumer's pause held back, set pending again."""
    rows = conn.execute(
        "UPDATE execution.deliveries SET state = 'pending', next_attempt_at = NULL"
        " WHERE consumer_id = %s AND state IN ('paused', 'pending') RETURNING id",
        (consumer_id,))
    return sorted(int(r["id"]) for r in rows)


def acknowledge(conn: Conn, consumer_id: int, batch_id: str) -> Delivery | None:
    """Mark the consumer's delivery of the batch acknowledged (again: no change)."""
    conn.execute(
        "UPDATE execution.deliveries SET state = 'acknowledged',"
        " acknowledged_at = coalesce(acknowledged_at, now())"
        " WHERE consumer_id = %s AND batch_id = %s AND state <> 'acknowledged'",
        (consumer_id, batch_id))
    return of_batch(conn, consumer_id, batch_id)


def consumer_batches(conn: Conn, consumer_id: int, *, after_sequence: int,
                     limit: int) -> list[Delivery]:
    """The consumer's published batches after a sequence number, in order."""
    rows = conn.execute(_SELECT + " WHERE d.consumer_id = %s AND b.sequence > %s"
                        " ORDER BY b.sequence LIMIT %s", (consumer_id, after_sequence, limit))
    return [Delivery(**r) for r in rows]


def counts_by_state(conn: Conn) -> dict[str, dict[str, int]]:
    """Per consumer, deliveries by state."""
    out: dict[str, dict[str, int]] = {}
    for r in conn.execute("SELECT c.name, d.state, count(*) AS n FROM execution.deliveries d"
                          " JOIN execution.consumers c ON c.id = d.consumer_id GROUP BY 1, 2"):
        out.setdefault(r["name"], {})[r["state"]] = int(r["n"])
    return out
