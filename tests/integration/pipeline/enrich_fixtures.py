"""SQL helpers that lay down Tier 1 rows, cards, an enrichment batch and its reservation."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.types.json import Jsonb


def make_batch(
    conn: psycopg.Connection,
    batch_id: str,
    people: list[dict[str, Any]],
    *,
    provider: str = "skiptrace",
    credits_reserved: int | None = None,
) -> list[int]:
    """Insert one profile + card per person (enrich_inputs = lookup_inputs = person), a batch
    and a reserve row."""
    reserved = len(people) if credits_reserved is None else credits_reserved
    card_ids = []
    with conn.transaction():
        conn.execute(
            "INSERT INTO execution.enrichment_batches (id, provider, state, card_count,"
            " credits_reserved) VALUES (%s, %s, 'reserved', %s, %s)",
            (batch_id, provider, len(people), reserved),
        )
        conn.execute(
            "INSERT INTO execution.credit_ledger (provider, batch_id, entry, credits)"
            " VALUES (%s, %s, 'reserve', %s)",
            (provider, batch_id, reserved),
        )
        for i, person in enumerate(people):
            handle = f"{batch_id}_creator_{i}".lower()
            profile = conn.execute(
                "INSERT INTO social.raw_social_profiles (platform, handle, scraped_at,"
                " content_hash) VALUES ('x', %s, now(), %s) RETURNING id",
                (handle, f"h{i}"),
            ).fetchone()
            card = conn.execute(
                "INSERT INTO execution.lead_cards (profile_id, platform, handle, profile_hash,"
                " readiness, readiness_score, base_confidence, execution_label, labeled_at,"
                " enrich_state, enrichment_batch_id, enrich_inputs, lookup_inputs)"
                " VALUES (%s, 'x', %s, %s, 'ready', 0.9, 0.8, 'enrich', now(), 'queued', %s, %s,"
                " %s) RETURNING id",
                (profile["id"], handle, f"h{i}", batch_id, Jsonb(person), Jsonb(person)),
            ).fetchone()
            card_ids.append(int(card["id"]))
    return card_ids


def synthetic_people(n: int, *, state: str = "TX") -> list[dict[str, Any]]:
    firsts = ["Avery", "Jordan", "Riley", "Casey", "Morgan", "Quinn", "Skyler", "Rowan"]
    lasts = ["Testwood", "Samplesen", "Mockford", "Fakely", "Demoson", "Synthia"]
    return [
        {
            "first_name": f"{firsts[i % 8]}{i}",
            "last_name": lasts[i % 6],
            "city": "Austin",
            "state": state,
            "domain": f"studio{i}.example",
        }
        for i in range(n)
    ]
