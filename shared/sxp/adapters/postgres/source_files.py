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
