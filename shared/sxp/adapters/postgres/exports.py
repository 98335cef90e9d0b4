"""Export repository: claim a consumer's next cards for a batch, read them, publish the batch.

A batch belongs to one consumer. It is claimed in its own committed transaction (state
'writing'; its cards in `batch_cards`, the consumer's cursor moved past them); objects are
written afterwards; publishing records what the consumer now holds, marks the batch
'published' and writes its delivery (the outbox) in one transaction. A 'writing' batch left by
a crash is found again and finished with the same cards.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg.rows import args_row
from psycopg.types.json import Jsonb
from pydantic import ValidationError

from sxp.adapters.postgres.connection import session_lock
from sxp.adapters.postgres.consumers import Consumer
from sxp.adapters.postgres.named_sql import query
from sxp.adapters.postgres.record_lines import plain_record_line
from sxp.adapters.postgres.snapshots import reading_as
from sxp.domain.bundle import (
    LeadCardRecord,
    Profile,
    RecordLines,
    describe_validation_error,
)
from sxp.domain.handoff import IndexEntry, VersionRow

Conn = psycopg.Connection[Any]  # connections come with dict rows (see bootstrap)
PointFilter = Callable[[str, str], bool]  # (kind, e-mail or phone) -> suppressed?
READY_STATES = ("enriched", "not_found", "ineligible")
EXPORT_LOCK_KEY = 0x5358_5040  # one exporter at a time per database
HANDOFF_LOCK_KEY = 0x5358_4853  # card writers hold it shared (see migration 068)
FETCH_ROWS = 2000  # records per slice of a batch: one fetch, one chunk a worker encodes


@dataclass(frozen=True)
class ExportBatch:
    id: str
    env: str
    state: str
    consumer_id: int
    consumer: str
    sequence: int
    previous_batch_id: str | None
    card_count: int
    withdrawal_count: int
    include_contact: bool
    manifest_key: str
    created_at: datetime
    resumed: bool = False  # found unfinished ('writing') rather than claimed by this call


_BATCH = ("SELECT b.id, b.env, b.state, b.consumer_id, c.name AS consumer, b.sequence,"
          " b.previous_batch_id, b.card_count, b.withdrawal_count, c.include_contact,"
          " b.manifest_key, b.created_at FROM execution.export_batches b"
          " JOIN execution.consumers c ON c.id = b.consumer_id")


def one_exporter(conn: Conn) -> contextlib.AbstractContextManager[None]:
    """Hold the exporters' session lock on `conn` (one exporter at a time per database)."""
    return session_lock(conn, EXPORT_LOCK_KEY)


def handoff_watermark(conn: Conn) -> int:
    """A handoff sequence number at or below which every card's number is committed.

    Card writers hold the handoff lock shared until they commit; taking it exclusively waits
    for the ones under way, and any later writer draws a higher number. Commits."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (HANDOFF_LOCK_KEY,))
        row = conn.execute("SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS seq"
                           " FROM execution.card_handoff_seq").fetchone()
    return int(row["seq"]) if row else 0


def lock_consumer_index(conn: Conn, consumer_id: int) -> None:
    """Serialize writers of one consumer's index objects until the transaction ends."""
    conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (HANDOFF_LOCK_KEY, consumer_id))


def latest_manifest_key(conn: Conn, consumer: str = "default") -> str | None:
    """The manifest of the consumer's newest published batch."""
    row = conn.execute(
        "SELECT b.manifest_key FROM execution.export_batches b"
        " JOIN execution.consumers c ON c.id = b.consumer_id"
        " WHERE b.state = 'published' AND c.name = %s ORDER BY b.sequence DESC LIMIT 1",
        (consumer,)).fetchone()
    return None if row is None else str(row["manifest_key"])


def has_ready_cards(conn: Conn) -> bool:
    """Whether an active consumer has cards past its cursor, or a batch still to finish."""
    if conn.execute(query("exports", "pending_consumers") + " LIMIT 1").fetchone():
        return True
    return conn.execute("SELECT 1 FROM execution.export_batches b"
                        " JOIN execution.consumers c ON c.id = b.consumer_id"
                        " WHERE b.state = 'writing' AND c.state = 'active' LIMIT 1"
                        ).fetchone() is not None


def unfinished_batch(conn: Conn, consumer_id: int) -> ExportBatch | None:
    row = conn.execute(_BATCH + " WHERE b.state = 'writing' AND b.consumer_id = %s",
                       (consumer_id,)).fetchone()
    return None if row is None else ExportBatch(**row, resumed=True)


def claim_batch(conn: Conn, consumer: Consumer, *, batch_id: str, env: str, manifest_key: str,
                created_at: datetime, watermark: int, max_cards: int) -> ExportBatch | None:
    """Give the consumer's next cards (up to `max_cards` of its handoff span) to a new batch.

    Runs in its own transaction and commits. None when the span holds nothing for the
    consumer; the cursor still moves past the span then, so it is not looked at again."""
    with conn.transaction():
        previous = conn.execute(
            "SELECT id FROM execution.export_batches WHERE consumer_id = %s"
            " ORDER BY sequence DESC LIMIT 1", (consumer.id,)).fetchone()
        sequence = consumer.batch_count + 1
        conn.execute(
            "INSERT INTO execution.export_batches (id, env, state, card_count, manifest_key,"
            " created_at, consumer_id, sequence, previous_batch_id)"
            " VALUES (%s, %s, 'writing', 0, %s, %s, %s, %s, %s)",
            (batch_id, env, manifest_key, created_at, consumer.id, sequence,
             previous["id"] if previous else None))
        f = consumer.filter
        taken = conn.execute(query("exports", "claim_cards"), {
            "batch_id": batch_id, "consumer_id": consumer.id, "cursor": consumer.cursor_seq,
            "watermark": watermark, "limit": max_cards,
            "labels": None if f.execution_labels is None else list(f.execution_labels),
            "pools": None if f.audience_pools is None else list(f.audience_pools)}).fetchone()
        assert taken is not None
        # an empty span (numbers drawn by transactions that rolled back): up to the watermark
        seq_to = taken["seq_to"] if taken["seq_to"] is not None else watermark
        conn.execute("UPDATE execution.consumers SET cursor_seq = greatest(cursor_seq, %s)"
                     " WHERE id = %s", (seq_to, consumer.id))
        if not taken["records"] and not taken["withdrawals"]:
            conn.execute("DELETE FROM execution.export_batches WHERE id = %s", (batch_id,))
            return None
        conn.execute(
            "UPDATE execution.export_batches SET card_count = %s, withdrawal_count = %s,"
            " seq_from = %s, seq_to = %s WHERE id = %s",
            (taken["records"], taken["withdrawals"], consumer.cursor_seq, seq_to, batch_id))
        conn.execute("UPDATE execution.consumers SET batch_count = %s WHERE id = %s",
                     (sequence, consumer.id))
    return ExportBatch(batch_id, env, "writing", consumer.id, consumer.name, sequence,
                       previous["id"] if previous else None, int(taken["records"]),
                       int(taken["withdrawals"]), consumer.include_contact, manifest_key,
                       created_at)


@dataclass(frozen=True)
class BatchSlice:
    """A run of a batch's records, by card id (both ends included): what one fetch reads and
    one worker encodes."""

    batch_id: str
    include_contact: bool
    first_card: int
    last_card: int


@contextlib.contextmanager
def reading_batch(conn: Conn, batch: ExportBatch) -> Iterator[list[BatchSlice]]:
    """A repeatable-read transaction over the batch, for as long as its records are read (on
    this connection, or on others that take its snapshot: `snapshots`), and the batch's
    records as slices of `FETCH_ROWS` cards in card id order. Call it on an idle connection:
    the isolation level is set by the transaction's first statement."""
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        ids = [r["card_id"] for r in conn.execute(query("exports", "batch_record_ids"),
                                                  {"batch_id": batch.id})]
        yield [BatchSlice(batch.id, batch.include_contact, ids[i],
                          ids[min(i + FETCH_ROWS, len(ids)) - 1])
               for i in range(0, len(ids), FETCH_ROWS)]


def read_slice(conn: Conn, part: BatchSlice, *, snapshot: str | None = None,
               suppressed: PointFilter | None = None) -> list[dict[str, Any]]:
    """One slice's rows for `encode_record_rows`: in the caller's transaction, or with
    `snapshot` in one of its own that sees what the exporting one sees. With `suppressed`,
    e-mails and phones it names are left out (a contact left with neither goes)."""
    params = {"batch_id": part.batch_id, "include_contact": part.include_contact,
              "first_card": part.first_card, "last_card": part.last_card}
    if snapshot is None:
        rows = conn.execute(query("exports", "batch_records"), params).fetchall()
    else:
        with reading_as(conn, snapshot):
            rows = conn.execute(query("exports", "batch_records"), params).fetchall()
    if suppressed is not None:
        for row in rows:
            if row["contacts"]:
                row["contacts"] = _without_suppressed(row["contacts"], suppressed)
    return rows


@dataclass
class EncodedRecords:
    """A chunk of the batch's rows as the records file takes them."""

    records: RecordLines
    rejected: list[tuple[int, str]]  # (card id, reason without values): left out
    phone_checks: list[PhoneCheck]  # each record's phones, with when their DNC was checked


def encode_record_rows(rows: list[dict[str, Any]]) -> EncodedRecords:
    """The rows as Lead Card records, one JSON line each (pure: the export's workers run it).

    A record without contact or business whose values are plainly valid is written straight
    from its row (`record_lines`); the others through the model. A row whose data does not
    make a valid record is left out and named in `rejected`;
    `publish_batch` takes its card out of the batch. Each record's phones are listed with when
    their DNC status was checked (the answer that gave them)."""
    out = EncodedRecords(RecordLines(), [], [])
    for row in rows:
        line = plain_record_line(row, _rule_ids(row["rules_fired"]))
        if line is not None:  # no contact, no business, every value plainly valid
            out.records.add_line(line, row["execution_label"], row["enrich_state"])
            continue
        try:
            record = record_from_row(row)
        except ValidationError as exc:
            out.rejected.append((int(row["id"]), describe_validation_error(exc)))
            continue
        if record.contact is not None:
            checked = _phone_checked_at(row["contacts"] or [])
            out.phone_checks.extend(
                PhoneCheck(record.card_id, i, phone.dnc, checked.get(phone.number))
                for i, phone in enumerate(record.contact.phones))
        out.records.add(record)
    return out


@dataclass(frozen=True)
class PhoneCheck:
    card_id: int
    phone_index: int  # in the record's contact.phones
    dnc: bool | None
    checked_at: datetime | None


def _phone_checked_at(contacts: list[dict[str, Any]]) -> dict[str, datetime]:
    """Per phone number, when the answer that first gave it was fetched (merge order)."""
    seen: dict[str, datetime] = {}
    for row in contacts:
        for phone in row.get("phones") or []:
            parsed = _phone(phone)
            fetched = row.get("fetched_at")
            if parsed is not None and parsed["number"] not in seen and fetched:
                seen[parsed["number"]] = (datetime.fromisoformat(fetched)
                                          if isinstance(fetched, str) else fetched)
    return seen


def _without_suppressed(contacts: list[dict[str, Any]],
                        suppressed: PointFilter) -> list[dict[str, Any]]:
    kept = []
    for contact in contacts:
        emails = [e for e in contact.get("emails") or []
                  if not suppressed("email", _point(e, ("address", "email")))]
        phones = [p for p in contact.get("phones") or []
                  if not suppressed("phone", _point(p, ("e164", "number", "phone")))]
        if emails or phones or not (contact.get("emails") or contact.get("phones")):
            kept.append({**contact, "emails": emails, "phones": phones})
    return kept


def _point(value: Any, keys: tuple[str, ...]) -> str:
    if isinstance(value, dict):
        return str(next((value[k] for k in keys if value.get(k)), ""))
    return str(value)


def batch_versions(conn: Conn, batch_id: str) -> list[VersionRow]:
    """The batch's cards in card order, as `versions.jsonl` lists them (`version_lines`)."""
    with conn.cursor(row_factory=args_row(VersionRow)) as cur:
        return cur.execute(
            "SELECT bc.card_id, bc.version, bc.supersedes_version, bc.action, bc.reason,"
            " CASE WHEN bc.reason = 'erased' THEN t.erased_at END AS erased_at"
            " FROM execution.batch_cards bc"
            " LEFT JOIN execution.card_tombstones t ON t.card_id = bc.card_id"
            " WHERE bc.batch_id = %s ORDER BY bc.card_id", (batch_id,)).fetchall()


def manifest_sha256_of(conn: Conn, batch_id: str | None) -> str | None:
    if batch_id is None:
        return None
    row = conn.execute("SELECT manifest_sha256 FROM execution.export_batches WHERE id = %s",
                       (batch_id,)).fetchone()
    return None if row is None else row["manifest_sha256"]


def publish_batch(conn: Conn, batch: ExportBatch, *, manifest_sha256: str,
                  files: list[dict[str, Any]], counts: dict[str, int], record_count: int,
                  rejected: list[tuple[int, str]]) -> None:
    """Record what the consumer now holds and mark the batch published, in the caller's
    transaction. Rejected cards leave the batch with their reason in `export_error`."""
    for card_id, reason in rejected:
        conn.execute("DELETE FROM execution.batch_cards WHERE batch_id = %s AND card_id = %s",
                     (batch.id, card_id))
        conn.execute("UPDATE execution.lead_cards SET export_error = %s, updated_at = now()"
                     " WHERE id = %s", (reason[:1000], card_id))
    conn.execute(query("exports", "hand_over"),
                 {"batch_id": batch.id, "consumer_id": batch.consumer_id})
    conn.execute(
        "UPDATE execution.export_batches SET state = 'published', manifest_sha256 = %s,"
        " files = %s, counts_by_execution_label = %s, card_count = %s, published_at = now()"
        " WHERE id = %s", (manifest_sha256, Jsonb(files), Jsonb(counts), record_count, batch.id))


def index_entries(conn: Conn, consumer_id: int, *, day: date | None = None,
                  latest: int | None = None) -> list[IndexEntry]:
    """The consumer's published batches of one day, or its newest `latest`, in order."""
    rows = conn.execute(
        "SELECT * FROM (SELECT id AS batch_id, sequence, manifest_key AS key,"
        "  manifest_sha256 AS sha256, card_count AS record_count, withdrawal_count, created_at"
        "  FROM execution.export_batches WHERE consumer_id = %(consumer)s"
        "   AND state = 'published'"
        "   AND (%(day)s::date IS NULL OR (created_at AT TIME ZONE 'UTC')::date = %(day)s)"
        "  ORDER BY sequence DESC LIMIT %(latest)s) t ORDER BY sequence",
        {"consumer": consumer_id, "day": day, "latest": latest}).fetchall()
    return [IndexEntry(**r) for r in rows]


def batch_files(conn: Conn, batch_id: str) -> list[dict[str, Any]]:
    """The files a published batch's manifest lists (path, sha256, size, …)."""
    row = conn.execute("SELECT files FROM execution.export_batches WHERE id = %s"
                       " AND state = 'published'", (batch_id,)).fetchone()
    return list(row["files"]) if row else []


def batch_days(conn: Conn, consumer_id: int) -> list[str]:
    rows = conn.execute(
        "SELECT DISTINCT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day"
        " FROM execution.export_batches WHERE consumer_id = %s AND state = 'published'"
        " ORDER BY 1", (consumer_id,))
    return [r["day"] for r in rows]


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
