"""Enrichment batch repository: batches the gate forms, the cards they carry, how they close.

A batch is `reserved` by the gate, `running` while the enrich step calls providers, and ends
`done`, `failed` or `dead`; its cards go `queued` → `enriched` / `not_found` / `failed`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

from sxp.adapters.postgres import ledger
from sxp.adapters.postgres.named_sql import query

Conn = psycopg.Connection[Any]
BATCH_LOCK_NS = 0x5358_0E00
CLOSED_STATES = ("done", "failed", "dead")


def create_batch(conn: Conn, *, batch_id: str, provider: str, card_ids: list[int],
                 credits: dict[str, int], run_id: int | None = None) -> None:
    """Insert the batch (of pipeline run `run_id`), reserve its credits in the ledger (one row
    per provider of the waterfall) and queue its cards."""
    conn.execute(query("batches", "create"), {"id": batch_id, "provider": provider,
                                             "card_count": len(card_ids),
                                             "credits": sum(credits.values()),
                                             "run_id": run_id})
    ledger.reserve(conn, batch_id, credits)
    updated = conn.execute(query("batches", "queue_cards"),
                           {"id": batch_id, "card_ids": card_ids}).rowcount
    if updated != len(card_ids):
        raise RuntimeError(f"batch {batch_id}: {updated} of {len(card_ids)} cards were still new")


def load_batch(conn: Conn, batch_id: str) -> dict[str, Any] | None:
    row: dict[str, Any] | None = conn.execute(query("batches", "load"),
                                              {"id": batch_id}).fetchone()
    return row


def card_inputs(conn: Conn, batch_id: str) -> list[tuple[int, dict[str, Any]]]:
    """(card id, enrichment inputs) of the batch's cards, in id order."""
    rows = conn.execute(query("batches", "cards"), {"id": batch_id}).fetchall()
    return [(int(r["id"]), r["enrich_inputs"] if isinstance(r["enrich_inputs"], dict) else {})
            for r in rows]


def try_lock(conn: Conn, batch_id: str) -> bool:
    """A session lock on the batch: one enrichment of it at a time."""
    row = conn.execute(query("batches", "try_lock"),
                       {"namespace": BATCH_LOCK_NS, "id": batch_id}).fetchone()
    return bool(row and row["ok"])


def mark_running(conn: Conn, batch_id: str) -> None:
    conn.execute(query("batches", "mark_running"), {"id": batch_id})


def return_failed_cards(conn: Conn, batch_id: str) -> int:
    """The failed cards of a closed batch back to `new` for the gate; how many."""
    return conn.execute(query("batches", "return_failed_cards"), {"id": batch_id}).rowcount


@dataclass(frozen=True)
class CardOutcome:
    """A card's lookup outcome; `phones_checked`: the answer gave phones, whose DNC status is
    as of now."""

    card_id: int
    state: str
    reason: str | None
    dnc: bool | None
    phones_checked: bool = False


def set_card_outcomes(conn: Conn, outcomes: Sequence[CardOutcome]) -> None:
    """Each card's outcome (one per card), by one statement, after the cards are locked in
    id order (as the other writers of cards lock theirs)."""
    if not outcomes:
        return
    card_ids = [o.card_id for o in outcomes]
    conn.execute(query("batches", "lock_cards"), {"card_ids": card_ids})
    conn.execute(query("batches", "set_card_outcomes"), {
        "card_ids": card_ids, "states": [o.state for o in outcomes],
        "reasons": [o.reason for o in outcomes], "dnc": [o.dnc for o in outcomes],
        "phones_checked": [o.phones_checked for o in outcomes]})


def close_done(conn: Conn, batch_id: str, *, spent: int, enriched: int, not_found: int) -> None:
    conn.execute(query("batches", "close_done"), {"id": batch_id, "spent": spent,
                                                 "enriched": enriched, "not_found": not_found})


def close_failed(conn: Conn, batch_id: str, *, state: str, spent: int, error: str,
                 reason: str) -> None:
    """Close the batch as `state` and fail the cards still queued in it."""
    conn.execute(query("batches", "close_failed"),
                 {"id": batch_id, "state": state, "spent": spent, "error": error})
    conn.execute(query("batches", "fail_queued_cards"), {"id": batch_id, "reason": reason})
