"""Lead card repository: set-based SQL for the cards, label and gate steps.

Bulk writes go through COPY into a temporary table (dropped at commit) and one statement that
applies it, so thousands of cards cost a handful of round trips.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson
import psycopg

from sxp.domain.cards import CardScores, ProfileSignals
from sxp.domain.gate import GateCard

_PROFILE_COLUMNS = (
    "p.id AS profile_id, p.platform, p.handle, p.content_hash, p.scraped_at, p.display_name,"
    " p.bio, p.bio_url, p.location, p.is_verified, p.followers, p.posts, p.likes,"
    " p.account_created_at, p.bio_has_contact")

_STALE_PROFILES = (
    f"SELECT {_PROFILE_COLUMNS} FROM social.raw_social_profiles p"
    " LEFT JOIN execution.lead_cards c ON c.profile_id = p.id"
    " WHERE c.id IS NULL OR c.profile_hash <> p.content_hash ORDER BY p.id")

_UPSERT_CARDS = """
INSERT INTO execution.lead_cards AS c (profile_id, platform, handle, profile_hash, readiness,
    readiness_score, base_confidence, signals, enrich_inputs)
SELECT profile_id, platform, handle, profile_hash, readiness, readiness_score, base_confidence,
    signals, enrich_inputs FROM tmp_cards ORDER BY profile_id
ON CONFLICT (profile_id) DO UPDATE SET
    platform = EXCLUDED.platform, handle = EXCLUDED.handle, profile_hash = EXCLUDED.profile_hash,
    readiness = EXCLUDED.readiness, readiness_score = EXCLUDED.readiness_score,
    base_confidence = EXCLUDED.base_confidence, signals = EXCLUDED.signals,
    -- a card already queued or enriched keeps the inputs it was looked up with, and its state
    enrich_inputs = CASE WHEN c.enrich_state IN ('new', 'ineligible') AND c.export_batch_id IS NULL
                         THEN EXCLUDED.enrich_inputs ELSE c.enrich_inputs END,
    enrich_state = CASE WHEN c.enrich_state = 'ineligible' AND c.export_batch_id IS NULL
                        THEN 'new' ELSE c.enrich_state END,
    enrich_reason = CASE WHEN c.enrich_state IN ('new', 'ineligible') AND c.export_batch_id IS NULL
                         THEN NULL ELSE c.enrich_reason END,
    updated_at = now()
WHERE c.profile_hash IS DISTINCT FROM EXCLUDED.profile_hash
"""


def iter_stale_profiles(conn: psycopg.Connection[Any], chunk: int = 5000
                        ) -> Iterator[list[ProfileSignals]]:
    """Tier 1 profiles with no card or a card built from older content, in chunks.

    Uses a server-side cursor: call inside the caller's transaction.
    """
    with conn.cursor(name="sxp_stale_profiles") as cur:
        cur.itersize = chunk
        cur.execute(_STALE_PROFILES)
        while rows := cur.fetchmany(chunk):
            yield [ProfileSignals(**row) for row in rows]


def start_card_copy(conn: psycopg.Connection[Any]) -> None:
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS tmp_cards (profile_id bigint PRIMARY KEY,"
        " platform text, handle text, profile_hash text, readiness text,"
        " readiness_score numeric(5, 4), base_confidence numeric(5, 4), signals jsonb,"
        " enrich_inputs jsonb) ON COMMIT DROP")


def copy_cards(conn: psycopg.Connection[Any],
               cards: Iterable[tuple[ProfileSignals, CardScores]]) -> None:
    with conn.cursor().copy(
            "COPY tmp_cards (profile_id, platform, handle, profile_hash, readiness,"
            " readiness_score, base_confidence, signals, enrich_inputs) FROM STDIN") as copy:
        for profile, scores in cards:
            copy.write_row((profile.profile_id, profile.platform, profile.handle,
                            profile.content_hash, scores.readiness, scores.readiness_score,
                            scores.base_confidence, orjson.dumps(scores.signals).decode(),
                            orjson.dumps(scores.enrich_inputs).decode()))


def apply_card_copy(conn: psycopg.Connection[Any]) -> int:
    """Insert new cards and refresh changed ones from tmp_cards; returns rows written."""
    return conn.execute(_UPSERT_CARDS).rowcount


# -- label ---------------------------------------------------------------------------------

def iter_unlabeled(conn: psycopg.Connection[Any], ruleset_version: str, chunk: int = 5000
                   ) -> Iterator[list[dict[str, Any]]]:
    """Cards whose labels are missing or stale (profile or ruleset version changed)."""
    with conn.cursor(name="sxp_unlabeled") as cur:
        cur.itersize = chunk
        cur.execute(
            "SELECT c.id AS card_id, c.profile_hash, c.readiness, c.readiness_score,"
            " c.base_confidence, jsonb_build_object("
            "   'account_age_days', c.signals -> 'account_age_days',"
            "   'engagement_ratio', c.signals -> 'engagement_ratio') AS signals,"
            " c.enrich_inputs, p.platform, p.handle,"
            " p.display_name, p.bio, p.bio_url, p.location, p.is_verified, p.followers,"
            " p.following, p.posts, p.likes, p.bio_has_contact"
            " FROM execution.lead_cards c JOIN social.raw_social_profiles p ON p.id = c.profile_id"
            " WHERE c.labeled_hash IS DISTINCT FROM c.profile_hash || '@' || %s ORDER BY c.id",
            (ruleset_version,))
        while rows := cur.fetchmany(chunk):
            yield rows


def start_label_copy(conn: psycopg.Connection[Any]) -> None:
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS tmp_labels (card_id bigint PRIMARY KEY,"
        " persona text, tribe text, audience_pool text, execution_label text,"
        " rules_fired jsonb, labeled_hash text) ON COMMIT DROP")


def copy_labels(conn: psycopg.Connection[Any], rows: Iterable[tuple[Any, ...]]) -> None:
    with conn.cursor().copy(
            "COPY tmp_labels (card_id, persona, tribe, audience_pool, execution_label,"
            " rules_fired, labeled_hash) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def apply_label_copy(conn: psycopg.Connection[Any], ruleset_version: str) -> int:
    """Store new labels. A relabeled card the gate had refused (and that was not exported yet)
    goes back to `new` so the next gate decides again; queued or enriched cards keep their state.
    """
    # lock in id order, as the gate does, so a label and a gate running together cannot deadlock
    conn.execute("SELECT id FROM execution.lead_cards WHERE id IN (SELECT card_id FROM tmp_labels)"
                 " ORDER BY id FOR UPDATE")
    return conn.execute(
        "UPDATE execution.lead_cards c SET persona = t.persona, tribe = t.tribe,"
        " audience_pool = t.audience_pool, execution_label = t.execution_label,"
        " ruleset_version = %s, rules_fired = t.rules_fired, labeled_hash = t.labeled_hash,"
        " labeled_at = now(), updated_at = now(),"
        " enrich_state = CASE WHEN c.enrich_state = 'ineligible' AND c.export_batch_id IS NULL"
        "   THEN 'new' ELSE c.enrich_state END,"
        " enrich_reason = CASE WHEN c.enrich_state = 'ineligible' AND c.export_batch_id IS NULL"
        "   THEN NULL ELSE c.enrich_reason END"
        " FROM tmp_labels t WHERE c.id = t.card_id",
        (ruleset_version,)).rowcount


# -- gate ----------------------------------------------------------------------------------

def iter_gate_candidates(conn: psycopg.Connection[Any], ruleset_version: str,
                         enrichable_labels: list[str], chunk: int = 5000
                         ) -> Iterator[list[GateCard]]:
    """Cards waiting for a gate decision whose labels are current, best first, in chunks.

    The order matches `sxp.domain.gate.priority_key`. Server-side cursor: call inside the
    caller's transaction.
    """
    with conn.cursor(name="sxp_gate_candidates") as cur:
        cur.itersize = chunk
        cur.execute(
            "SELECT id, execution_label, readiness_score, base_confidence, enrich_inputs"
            " FROM execution.lead_cards WHERE enrich_state = 'new'"
            " AND labeled_hash = profile_hash || '@' || %s"
            " ORDER BY array_position(%s::text[], execution_label), base_confidence DESC,"
            " readiness_score DESC, id", (ruleset_version, enrichable_labels))
        while rows := cur.fetchmany(chunk):
            yield [GateCard(card_id=r["id"], execution_label=r["execution_label"],
                            readiness_score=float(r["readiness_score"]),
                            base_confidence=float(r["base_confidence"]),
                            enrich_inputs=r["enrich_inputs"] or {})
                   for r in rows]


def set_reasons(conn: psycopg.Connection[Any], reasons: dict[int, str], state: str) -> None:
    """Set enrich_state and enrich_reason for many cards at once (rows already so are skipped)."""
    if not reasons:
        return
    conn.execute(
        "UPDATE execution.lead_cards c SET enrich_state = %s, enrich_reason = r.reason,"
        " updated_at = now() FROM unnest(%s::bigint[], %s::text[]) AS r(id, reason)"
        " WHERE c.id = r.id AND (c.enrich_state, c.enrich_reason) IS DISTINCT FROM (%s, r.reason)",
        (state, list(reasons), list(reasons.values()), state))


def has_cards_awaiting_gate(conn: psycopg.Connection[Any]) -> bool:
    """Labeled cards the gate has not decided on yet (new, or left waiting for budget)."""
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM execution.lead_cards"
        " WHERE enrich_state = 'new' AND labeled_at IS NOT NULL) AS waiting").fetchone()
    return bool(row and row["waiting"])
