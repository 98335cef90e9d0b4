"""Erasures repository: find a subject's cards, remove them from every tier in one
transaction, leave a tombstone per card in the handoff sequence, and keep the report.

The subject's identifier (an e-mail, a phone, a handle) is used to find the cards when the
request is made and never stored: the row keeps its keyed hash, the card and file ids, and
the handles to look for in staged objects until the erasure is done.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from sxp.adapters.postgres.cards import PROFILES_LOCK
from sxp.adapters.postgres.connection import session_lock
from sxp.adapters.postgres.exports import HANDOFF_LOCK_KEY

Conn = psycopg.Connection[Any]
REWRITE_LOCK_KEY = 0x5358_4552  # one eraser at a time per database


@dataclass(frozen=True)
class Erasure:
    id: int
    subject_kind: str
    subject_hmac: str
    state: str
    card_ids: list[int]
    source_file_ids: list[int]
    match_handles: list[str] | None
    removed: dict[str, Any]
    requested_by: str
    requested_at: datetime
    finished_at: datetime | None


_COLUMNS = ("id, subject_kind, subject_hmac, state, card_ids, source_file_ids, match_handles,"
            " removed, requested_by, requested_at, finished_at")


def subject_cards(conn: Conn, *, kind: str, value: str) -> tuple[list[int], list[int],
                                                                 list[str]]:
    """(card ids, profile ids, platform:handle) of the subject. `value` is normalized: a
    `platform:handle`, a lower-case e-mail, or a phone in E.164."""
    if kind == "handle":
        platform, _, handle = value.partition(":")
        rows = conn.execute(
            "SELECT p.id AS profile_id, c.id AS card_id, p.platform, p.handle"
            " FROM social.raw_social_profiles p"
            " LEFT JOIN execution.lead_cards c ON c.profile_id = p.id"
            ' WHERE p.handle = %s COLLATE "C" AND p.platform = %s COLLATE "C"',  # Tier 1's key
            (handle, platform)).fetchall()
    else:
        rows = conn.execute(
            "SELECT DISTINCT c.profile_id, c.id AS card_id, c.platform, c.handle"
            " FROM contact.contacts ct JOIN execution.lead_cards c ON c.id = ct.card_id"
            " WHERE " + ("EXISTS (SELECT 1 FROM jsonb_array_elements(ct.emails) e"
                         " WHERE lower(coalesce(e->>'address', e->>'email', e #>> '{}'))"
                         " = %s)" if kind == "email" else
                         "EXISTS (SELECT 1 FROM jsonb_array_elements(ct.phones) ph"
                         " WHERE regexp_replace(coalesce(ph->>'e164', ph->>'number',"
                         " ph->>'phone', ph #>> '{}'), '[^0-9+]', '', 'g') = %s)"),
            (value,)).fetchall()
    cards = sorted({int(r["card_id"]) for r in rows if r["card_id"] is not None})
    profiles = sorted({int(r["profile_id"]) for r in rows})
    handles = sorted({f"{r['platform']}:{r['handle']}" for r in rows})
    return cards, profiles, handles


def record_request(conn: Conn, *, kind: str, subject_hmac: str, card_ids: list[int],
                   source_file_ids: list[int], handles: list[str], requested_by: str) -> Erasure:
    row = conn.execute(
        "INSERT INTO execution.erasures (subject_kind, subject_hmac, card_ids,"
        " source_file_ids, match_handles, requested_by) VALUES (%s, %s, %s, %s, %s, %s)"
        f" RETURNING {_COLUMNS}",
        (kind, subject_hmac, card_ids, source_file_ids, handles, requested_by)).fetchone()
    assert row is not None
    return Erasure(**row)


def get(conn: Conn, erasure_id: int) -> Erasure | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM execution.erasures WHERE id = %s",
                       (erasure_id,)).fetchone()
    return None if row is None else Erasure(**row)


def requested(conn: Conn, *, limit: int) -> list[Erasure]:
    """Requests whose tiers phase has not run, oldest first."""
    return [Erasure(**r) for r in conn.execute(
        f"SELECT {_COLUMNS} FROM execution.erasures WHERE state = 'requested' ORDER BY id"
        " LIMIT %s", (limit,))]


def hold_tier1_deletes(conn: Conn) -> None:
    """Tier 1's delete lock, alone, until the transaction ends (migration 086): a cards step
    building from the subject's profiles commits first, and one that starts later finds
    them gone. Taken before any other lock of the erasure's (the handoff lock is next)."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (PROFILES_LOCK,))


def cards_of_profiles(conn: Conn, profile_ids: list[int]) -> list[int]:
    rows = conn.execute("SELECT id FROM execution.lead_cards WHERE profile_id = ANY(%s::bigint[])",
                        (profile_ids,))
    return sorted(int(r["id"]) for r in rows)


def set_cards(conn: Conn, erasure_id: int, card_ids: list[int]) -> Erasure:
    row = conn.execute(f"UPDATE execution.erasures SET card_ids = %s WHERE id = %s"
                       f" RETURNING {_COLUMNS}", (card_ids, erasure_id)).fetchone()
    assert row is not None
    return Erasure(**row)


def profiles_of(conn: Conn, card_ids: list[int], handles: list[str]) -> list[int]:
    """The Tier 1 rows of the cards, and of the handles (a profile may have no card yet)."""
    pairs = [h.split(":", 1) for h in handles]
    rows = conn.execute(  # a lookup of Tier 1's unique index per handle, never a scan
        "SELECT profile_id AS id FROM execution.lead_cards WHERE id = ANY(%s::bigint[])"
        " UNION SELECT p.id FROM unnest(%s::text[], %s::text[]) AS h(platform, handle)"
        " CROSS JOIN LATERAL (SELECT t.id FROM social.raw_social_profiles t"
        '   WHERE t.handle = h.handle COLLATE "C" AND t.platform = h.platform COLLATE "C") p',
        (card_ids, [p for p, _ in pairs], [h for _, h in pairs]))
    return sorted(int(r["id"]) for r in rows)


def source_files_of(conn: Conn, profile_ids: list[int]) -> list[int]:
    rows = conn.execute("SELECT DISTINCT source_file_id FROM social.raw_social_profiles"
                        " WHERE id = ANY(%s) AND source_file_id IS NOT NULL", (profile_ids,))
    return sorted(int(r["source_file_id"]) for r in rows)


def bundles_holding(conn: Conn, card_ids: list[int]) -> list[dict[str, Any]]:
    """Published bundles with a record of one of the cards (they stay as they are: immutable,
    removed by retention)."""
    rows = conn.execute(
        "SELECT DISTINCT b.id AS batch_id, c.name AS consumer, b.manifest_key"
        " FROM execution.batch_cards bc JOIN execution.export_batches b ON b.id = bc.batch_id"
        " JOIN execution.consumers c ON c.id = b.consumer_id"
        " WHERE bc.card_id = ANY(%s::bigint[]) AND bc.action = 'record'"
        " AND b.state = 'published' ORDER BY b.id", (card_ids,))
    return [dict(r) for r in rows]


def remove_from_tiers(conn: Conn, erasure: Erasure, profile_ids: list[int]) -> dict[str, int]:
    """In the caller's transaction: tombstones first (under the handoff lock, as every card
    writer), then Tier 2, the provider answers, Tier 3 and Tier 1. Counts per place.
    Call under `hold_tier1_deletes`, with every card of `profile_ids` in the erasure: a
    profile whose card stays fails the delete (migration 086)."""
    cards = erasure.card_ids
    conn.execute("SELECT pg_advisory_xact_lock_shared(%s)", (HANDOFF_LOCK_KEY,))
    tombstones = conn.execute(
        "INSERT INTO execution.card_tombstones (card_id, erasure_id, version, handoff_seq)"
        " SELECT id, %s, version + 1, nextval('execution.card_handoff_seq')"
        " FROM execution.lead_cards WHERE id = ANY(%s::bigint[]) ORDER BY id"
        " ON CONFLICT (card_id) DO NOTHING", (erasure.id, cards)).rowcount
    removed = {"tombstones": tombstones}
    removed["tier2_contacts"] = conn.execute(
        "DELETE FROM contact.contacts WHERE card_id = ANY(%s::bigint[])", (cards,)).rowcount
    removed["tier2_businesses"] = conn.execute(
        "DELETE FROM contact.businesses WHERE card_id = ANY(%s::bigint[])", (cards,)).rowcount
    removed["provider_answers"] = conn.execute(
        "UPDATE contact.provider_calls SET"
        " card_ids = coalesce(ARRAY(SELECT c FROM unnest(card_ids) c"
        "  WHERE c <> ALL(%(ids)s::bigint[])), '{}'),"
        " response = CASE WHEN response ? 'results' THEN jsonb_set(response, '{results}',"
        "  coalesce((SELECT jsonb_agg(r) FROM jsonb_array_elements(response -> 'results') r"
        "   WHERE (r ->> 'card_id')::bigint <> ALL(%(ids)s::bigint[])), '[]'::jsonb))"
        "  ELSE response END"
        " WHERE card_ids && %(ids)s::bigint[]", {"ids": cards}).rowcount
    removed["tier3_cards"] = conn.execute(
        "DELETE FROM execution.lead_cards WHERE id = ANY(%s::bigint[])", (cards,)).rowcount
    removed["tier1_profiles"] = conn.execute(
        "DELETE FROM social.raw_social_profiles WHERE id = ANY(%s::bigint[])",
        (profile_ids,)).rowcount
    return removed


def mark(conn: Conn, erasure_id: int, state: str, removed: dict[str, Any]) -> None:
    """Move the erasure on, merging what it removed; done forgets the handles."""
    conn.execute(
        "UPDATE execution.erasures SET state = %s, removed = removed || %s,"
        " match_handles = CASE WHEN %s = 'done' THEN NULL ELSE match_handles END,"
        " finished_at = CASE WHEN %s = 'done' THEN now() END WHERE id = %s",
        (state, Jsonb(removed), state, state, erasure_id))


def in_objects_phase(conn: Conn) -> list[Erasure]:
    """Erasures whose tiers are done and whose staged objects are not."""
    return [Erasure(**r) for r in conn.execute(
        f"SELECT {_COLUMNS} FROM execution.erasures WHERE state = 'objects' ORDER BY id")]


def one_rewriter(conn: Conn) -> contextlib.AbstractContextManager[None]:
    """Hold the erasers' session lock on `conn` (one at a time): two rewrites of one staged
    object at once could bring back lines the other removed."""
    return session_lock(conn, REWRITE_LOCK_KEY)
