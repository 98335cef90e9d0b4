"""Export repository: claim ready cards for a batch, read their records, publish the batch.

A batch is claimed in its own committed transaction (state 'writing', cards carry its id but
no `exported_at`); objects are written afterwards; publishing sets `exported_at` and state
'published'. A 'writing' batch left by a crash is found again and finished with the same cards.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from pydantic import ValidationError

from sxp.adapters.postgres.named_sql import query
from sxp.domain.bundle import (
    IndexEntry,
    LeadCardRecord,
    Profile,
    describe_validation_error,
)

Conn = psycopg.Connection[Any]  # connections come with dict rows (see bootstrap)
READY_STATES = ("enriched", "not_found", "ineligible")
EXPORT_LOCK_KEY = 0x5358_5040  # one exporter at a time per database

_READY_WHERE = (
    "export_batch_id IS NULL AND export_error IS NULL AND labeled_at IS NOT NULL"
    " AND enrich_state IN ('enriched', 'not_found', 'ineligible')")


@dataclass(frozen=True)
class ExportBatch:
    id: str
    env: str
    state: str
    card_count: int
    manifest_key: str
    created_at: datetime
    resumed: bool = False  # found unfinished ('writing') rather than claimed by this call


@contextlib.contextmanager
def one_exporter(conn: Conn) -> Iterator[None]:
    """Hold the exporters' session lock on `conn` (one exporter at a time per database)."""
    conn.execute("SELECT pg_advisory_lock(%s)", (EXPORT_LOCK_KEY,))
    conn.commit()
    try:
        yield
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (EXPORT_LOCK_KEY,))
        conn.commit()


def latest_manifest_key(conn: Conn) -> str | None:
    """The manifest of the newest published batch."""
    row = conn.execute("SELECT manifest_key FROM execution.export_batches"
                       " WHERE state = 'published' ORDER BY published_at DESC, id DESC LIMIT 1"
                       ).fetchone()
    return None if row is None else str(row["manifest_key"])


def has_ready_cards(conn: Conn) -> bool:
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM execution.lead_cards WHERE " + _READY_WHERE + ") AS ready"
    ).fetchone()
    return bool(row and row["ready"])


def unfinished_batch(conn: Conn, env: str) -> ExportBatch | None:
    row = conn.execute(
        "SELECT id, env, state, card_count, manifest_key, created_at"
        " FROM execution.export_batches WHERE state = 'writing' AND env = %s"
        " ORDER BY created_at, id LIMIT 1", (env,)).fetchone()
    return None if row is None else ExportBatch(**row, resumed=True)


def claim_batch(conn: Conn, *, batch_id: str, env: str, manifest_key: str,
                created_at: datetime, max_cards: int) -> ExportBatch | None:
    """Give up to `max_cards` ready cards the batch id and record the batch as 'writing'.

    Runs in its own transaction and commits; None (and nothing written) when no card is ready.
    """
    with conn.transaction():
        ids = conn.execute(
            "UPDATE execution.lead_cards SET export_batch_id = %s, updated_at = now()"
            " WHERE id IN (SELECT id FROM execution.lead_cards"
            "  WHERE " + _READY_WHERE + " ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED)"
            " RETURNING id", (batch_id, max_cards)).fetchall()
        if not ids:
            return None
        conn.execute(
            "INSERT INTO execution.export_batches (id, env, state, card_count, manifest_key,"
            " created_at) VALUES (%s, %s, 'writing', %s, %s, %s)",
            (batch_id, env, len(ids), manifest_key, created_at))
    return ExportBatch(batch_id, env, "writing", len(ids), manifest_key, created_at)




def iter_batch_records(conn: Conn, batch_id: str, rejected: list[tuple[int, str]],
                       fetch_size: int = 2000) -> Iterator[LeadCardRecord]:
    """Stream the batch's cards as Lead Card records (server-side cursor, card id order).

    A card whose data does not make a valid record is skipped and added to `rejected` as
    (card id, reason without values); `publish_batch` takes it out of the batch.
    """
    with conn.transaction(), conn.cursor(name=f"export_{batch_id}") as cur:
        cur.itersize = fetch_size
        cur.execute(query("exports", "batch_records"), {"batch_id": batch_id})
        for row in cur:
            try:
                yield record_from_row(row)
            except ValidationError as exc:
                rejected.append((int(row["id"]), describe_validation_error(exc)))


def publish_batch(conn: Conn, batch: ExportBatch, *, manifest_sha256: str,
                  files: list[dict[str, Any]], counts: dict[str, int], record_count: int,
                  rejected: list[tuple[int, str]]) -> None:
    """Mark the batch's cards exported and the batch published, in the caller's transaction.

    Rejected cards leave the batch with their reason in `export_error`."""
    for card_id, reason in rejected:
        conn.execute(
            "UPDATE execution.lead_cards SET export_batch_id = NULL, export_error = %s,"
            " updated_at = now() WHERE id = %s AND export_batch_id = %s",
            (reason[:1000], card_id, batch.id))
    conn.execute(
        "UPDATE execution.lead_cards SET exported_at = now(), updated_at = now()"
        " WHERE export_batch_id = %s AND exported_at IS NULL", (batch.id,))
    conn.execute(
        "UPDATE execution.export_batches SET state = 'published', manifest_sha256 = %s,"
        " files = %s, counts_by_execution_label = %s, card_count = %s, published_at = now()"
        " WHERE id = %s", (manifest_sha256, Jsonb(files), Jsonb(counts), record_count, batch.id))


def published_entries(conn: Conn, env: str) -> list[IndexEntry]:
    rows = conn.execute(
        "SELECT id, manifest_key, manifest_sha256, card_count, created_at"
        " FROM execution.export_batches WHERE env = %s AND state = 'published'"
        " ORDER BY created_at, id", (env,)).fetchall()
    return [IndexEntry(batch_id=r["id"], key=r["manifest_key"], sha256=r["manifest_sha256"],
                       record_count=r["card_count"], created_at=r["created_at"]) for r in rows]


def record_from_row(row: dict[str, Any]) -> LeadCardRecord:
    """Build one record as plain data and validate it in one pass (fast, and strict)."""
    contacts: list[dict[str, Any]] = row["contacts"] or []
    businesses: list[dict[str, Any]] = row["businesses"] or []
    return LeadCardRecord.model_validate({
        "card_id": row["id"], "platform": row["platform"], "handle": row["handle"],
        "profile": {k: row[k] for k in _PROFILE_FIELDS},
        "scores": {"readiness": row["readiness"],
                   "readiness_score": float(row["readiness_score"]),
                   "base_confidence": float(row["base_confidence"])},
        "labels": {"persona": row["persona"], "tribe": row["tribe"],
                   "audience_pool": row["audience_pool"],
                   "execution_label": row["execution_label"],
                   "ruleset_version": row["ruleset_version"],
                   "rules_fired": _rule_ids(row["rules_fired"])},
        "enrichment": {"status": row["enrich_state"], "reason": row["enrich_reason"],
                       "batch_id": row["enrichment_batch_id"], "enriched_at": row["enriched_at"]},
        "contact": _merged_contact(contacts),
        "business": businesses[0] if businesses else None,
        "dnc": row["dnc"],
        "provenance": {"profile_id": row["profile_id"], "source_file_id": row["source_file_id"],
                       "profile_hash": row["profile_hash"],
                       "card_created_at": row["card_created_at"],
                       "labeled_at": row["labeled_at"],
                       "contact_providers": sorted({c["provider"]
                                                    for c in contacts + businesses})},
    })


_PROFILE_FIELDS = tuple(Profile.model_fields)


def _rule_ids(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, dict):
        value = list(value.values()) if "rules" not in value else value["rules"]
    return [str(v["id"]) if isinstance(v, dict) and "id" in v else str(v) for v in value]


def _merged_contact(contacts: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The best row's name; e-mails and phones from every provider's row, deduplicated."""
    if not contacts:
        return None
    best = contacts[0]
    emails: list[str] = []
    phones: dict[str, dict[str, Any]] = {}
    for row in contacts:
        for email in row.get("emails") or []:
            address = (email.get("address") or email.get("email")) if isinstance(email, dict) \
                else email
            if address and address not in emails:
                emails.append(str(address))
        for phone in row.get("phones") or []:
            parsed = _phone(phone)
            if parsed is not None and parsed["number"] not in phones:
                phones[parsed["number"]] = parsed
    return {"provider": best["provider"], "first_name": best.get("first_name"),
            "last_name": best.get("last_name"), "emails": emails, "phones": list(phones.values()),
            "confidence": best.get("confidence"), "fetched_at": best["fetched_at"]}


def _phone(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        return {"number": value}
    if not isinstance(value, dict):
        return None
    number = value.get("e164") or value.get("number") or value.get("phone")
    if not number:
        return None
    rank = value.get("rank")
    return {"number": str(number), "line_type": value.get("line_type") or value.get("type"),
            "dnc": value.get("dnc"), "tcpa": value.get("tcpa"),
            "reachable": value.get("reachable"),
            "rank": int(rank) if isinstance(rank, int | float) else None}
