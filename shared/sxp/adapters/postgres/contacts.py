"""Tier 2 repository: provider calls (stored before they are applied), contacts, businesses."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from sxp.adapters.postgres.named_sql import query
from sxp.adapters.providers.base import LookupResponse, LookupResult


def find_call(
    conn: psycopg.Connection[Any], request_hash: str
) -> tuple[int, LookupResponse] | None:
    """A call already paid for with the same request hash: its id and stored response."""
    row: dict[str, Any] | None = conn.execute(
        "SELECT id, response FROM contact.provider_calls WHERE request_hash = %s"
        " AND outcome IN ('ok', 'no_match') AND response IS NOT NULL",
        (request_hash,),
    ).fetchone()
    if row is None:
        return None
    return int(row["id"]), LookupResponse.model_validate(row["response"])


def record_call(
    conn: psycopg.Connection[Any], response: LookupResponse, batch_id: str, card_ids: Sequence[int]
) -> int:
    """Store a provider response before anything is applied from it; returns the call id."""
    row: dict[str, Any] | None = conn.execute(
        "INSERT INTO contact.provider_calls (provider, request_hash, batch_id, card_ids,"
        " status_code, outcome, credits, response) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        # the same request again after retention cleared the old answer: it holds the new one
        " ON CONFLICT (request_hash) DO UPDATE SET batch_id = EXCLUDED.batch_id,"
        "  card_ids = EXCLUDED.card_ids, status_code = EXCLUDED.status_code,"
        "  outcome = EXCLUDED.outcome, credits = EXCLUDED.credits,"
        "  response = EXCLUDED.response, applied = false, created_at = now()"
        "  WHERE contact.provider_calls.response IS NULL RETURNING id",
        (
            response.provider,
            response.request_hash,
            batch_id,
            list(card_ids),
            response.status_code,
            "ok" if response.matched else "no_match",
            response.credits_used,
            Jsonb(response.model_dump(mode="json")),
        ),
    ).fetchone()
    if row is None:
        row = conn.execute(
            "SELECT id FROM contact.provider_calls WHERE request_hash = %s",
            (response.request_hash,),
        ).fetchone()
    assert row is not None
    return int(row["id"])


def batch_credits(conn: psycopg.Connection[Any], batch_id: str) -> int:
    """Credits actually paid by calls made for this batch (reused calls are not paid again)."""
    row: dict[str, Any] | None = conn.execute(
        "SELECT coalesce(sum(credits), 0) AS n FROM contact.provider_calls WHERE batch_id = %s",
        (batch_id,),
    ).fetchone()
    return int(row["n"]) if row else 0


def batch_credits_by_provider(conn: psycopg.Connection[Any], batch_id: str) -> dict[str, int]:
    """Credits actually paid by this batch's calls, per provider."""
    rows = conn.execute(
        "SELECT provider, coalesce(sum(credits), 0) AS n FROM contact.provider_calls"
        " WHERE batch_id = %s GROUP BY provider",
        (batch_id,),
    ).fetchall()
    return {str(r["provider"]): int(r["n"]) for r in rows}


def mark_applied(conn: psycopg.Connection[Any], call_ids: Sequence[int]) -> None:
    conn.execute(
        "UPDATE contact.provider_calls SET applied = true WHERE id = ANY(%s)", (list(call_ids),)
    )


def clear_cards(conn: psycopg.Connection[Any], card_ids: Sequence[int]) -> None:
    """Drop the cards' contacts and businesses (their latest lookup found no one)."""
    ids = list(card_ids)
    conn.execute("DELETE FROM contact.contacts WHERE card_id = ANY(%s::bigint[])", (ids,))
    conn.execute("DELETE FROM contact.businesses WHERE card_id = ANY(%s::bigint[])", (ids,))


def upsert_results(conn: psycopg.Connection[Any],
                   answers: Sequence[tuple[LookupResult, str, int]], *,
                   fetched_at: datetime) -> None:
    """Write each (result, provider, call id)'s person and business (idempotent on
    (card_id, provider)), in order, one statement for each table (the rows as one JSON
    document): a pair given twice keeps its last answer, as writing them one after another
    would."""
    people: dict[tuple[int, str], dict[str, Any]] = {}
    firms: dict[tuple[int, str], dict[str, Any]] = {}
    for r, provider, call_id in answers:
        key = {"card_id": r.card_id, "provider": provider, "call_id": call_id}
        if (p := r.person) is not None:
            people[r.card_id, provider] = {**key, **p.model_dump(
                include={"provider_record_id", "confidence", "first_name", "last_name",
                         "emails", "phones"})}
        if (b := r.business) is not None:
            firms[r.card_id, provider] = {**key, **b.model_dump()}
    if people:
        conn.execute(query("contacts", "upsert_contacts"),
                     {"fetched_at": fetched_at, "rows": Jsonb(list(people.values()))})
    if firms:
        conn.execute(query("contacts", "upsert_businesses"),
                     {"fetched_at": fetched_at, "rows": Jsonb(list(firms.values()))})


def clear_answers_before(conn: psycopg.Connection[Any], before: datetime) -> int:
    """Retention: drop the stored answers of calls made before `before` (the rows stay for the
    credit accounting; a later call of the same request stores its answer again)."""
    return conn.execute(
        "UPDATE contact.provider_calls SET response = NULL WHERE created_at < %s"
        " AND response IS NOT NULL", (before,)).rowcount


def answers_before(conn: psycopg.Connection[Any], before: datetime) -> int:
    row = conn.execute("SELECT count(*) AS n FROM contact.provider_calls WHERE created_at < %s"
                       " AND response IS NOT NULL", (before,)).fetchone()
    return int(row["n"]) if row else 0


def oldest_answer(conn: psycopg.Connection[Any]) -> datetime | None:
    row = conn.execute("SELECT min(created_at) AS t FROM contact.provider_calls"
                       " WHERE response IS NOT NULL").fetchone()
    return None if row is None else row["t"]
