"""Source files repository: inbox objects registered once per (bucket, key, ETag), their
ingest state and counters (`social.source_files`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from sxp.adapters.postgres.named_sql import query

Conn = psycopg.Connection[Any]
FINAL_STATES = ("ingested", "failed", "duplicate")


@dataclass(frozen=True)
class SourceFile:
    id: int
    bucket: str
    key: str
    etag: str
    size_bytes: int | None
    state: str
    platform_hint: str | None
    format_hint: str | None
    registered_at: datetime


@dataclass(frozen=True)
class IngestCounts:
    format: str
    read: int
    loaded: int
    unchanged: int  # the stale ones included
    deduped: int
    rejected: int
    stale: int  # outranked by the version Tier 1 holds (a newer or known scrape time)
    suppressed: int  # rows of suppressed handles: not written, no reject
    normalized_prefix: str
    normalized_parts: int
    rejects_key: str


def register(conn: Conn, *, bucket: str, key: str, etag: str, size: int | None,
             platform: str | None, fmt: str | None) -> int | None:
    """The new file's id, or None when (bucket, key, ETag) is registered already."""
    row = conn.execute(query("source_files", "register"), {
        "bucket": bucket, "key": key, "etag": etag, "size": size, "platform": platform,
        "format": fmt}).fetchone()
    return None if row is None else int(row["id"])


def load(conn: Conn, file_id: int) -> SourceFile | None:
    row = conn.execute(query("source_files", "load"), {"id": file_id}).fetchone()
    return None if row is None else SourceFile(**row)


def lock_state(conn: Conn, file_id: int) -> str:
    """The file's state, its row locked until the caller's transaction ends."""
    row = conn.execute(query("source_files", "lock_state"), {"id": file_id}).fetchone()
    assert row is not None
    return str(row["state"])


def mark_ingesting(conn: Conn, file_id: int) -> None:
    conn.execute(query("source_files", "mark_ingesting"), {"id": file_id})


def mark_ingested(conn: Conn, file_id: int, counts: IngestCounts) -> None:
    conn.execute(query("source_files", "mark_ingested"), {"id": file_id, **vars(counts)})


def mark_failed(conn: Conn, file_id: int, reason_code: str, reason: str) -> None:
    conn.execute(query("source_files", "mark_failed"),
                 {"id": file_id, "reason_code": reason_code, "reason": reason[:500]})


def mark_duplicate(conn: Conn, file_id: int, reason: str) -> None:
    """Its content came before, in another import: nothing of it was written."""
    conn.execute(query("source_files", "mark_duplicate"), {"id": file_id, "reason": reason})


def failed(conn: Conn) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(query("source_files", "failed"))]


def names(conn: Conn) -> dict[int, str]:
    """Each file's name (the last part of its key), for progress lines."""
    rows = conn.execute("SELECT id, key FROM social.source_files").fetchall()
    return {int(r["id"]): str(r["key"]).rsplit("/", 1)[-1] for r in rows}


def listed(conn: Conn, *, failed_only: bool = False, limit: int = 200) -> list[dict[str, Any]]:
    """Files newest first with their state and counts."""
    return [dict(r) for r in conn.execute(
        "SELECT id, key, state, reason_code, reason, rows_read, rows_loaded, rows_unchanged,"
        "       rows_deduped, rows_rejected, rows_suppressed, rejects_key, registered_at,"
        "       finished_at"
        "  FROM social.source_files WHERE NOT %s OR state = 'failed'"
        " ORDER BY id DESC LIMIT %s", (failed_only, limit)).fetchall()]


def find(conn: Conn, ref: str) -> dict[str, Any] | None:
    """A file by id, key or name (the newest of that name)."""
    row = conn.execute(
        "SELECT id, key, state, reason_code, reason, rows_read, rows_rejected, rejects_key"
        "  FROM social.source_files"
        " WHERE (%(ref)s ~ '^[0-9]+$' AND id = %(ref)s::bigint) OR key = %(ref)s"
        "    OR key LIKE '%%/' || %(ref)s"
        " ORDER BY (key = %(ref)s) DESC, id DESC LIMIT 1", {"ref": ref}).fetchone()
    return None if row is None else dict(row)
