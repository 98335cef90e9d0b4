"""Imports repository (`social.imports`): every upload's key, size and sha256, and what
became of it (the source file of the same key)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

Conn = psycopg.Connection[Any]


@dataclass(frozen=True)
class ImportRow:
    id: int
    bucket: str
    key: str
    sha256: str
    size_bytes: int
    filename: str
    created_at: datetime


_COLUMNS = "id, bucket, key, sha256, size_bytes, filename, created_at"


def add(conn: Conn, *, bucket: str, key: str, sha256: str, size_bytes: int,
        filename: str) -> int | None:
    """The new import's id; None when this content (sha256) was imported before."""
    row = conn.execute(
        "INSERT INTO social.imports (bucket, key, sha256, size_bytes, filename)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (sha256) DO NOTHING RETURNING id",
        (bucket, key, sha256, size_bytes, filename)).fetchone()
    return None if row is None else int(row["id"])


def by_sha256(conn: Conn, sha256: str) -> ImportRow | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM social.imports WHERE sha256 = %s",
                       (sha256,)).fetchone()
    return None if row is None else ImportRow(**row)


def find(conn: Conn, ref: str) -> tuple[ImportRow, dict[str, Any] | None] | None:
    """An import by id or by inbox key, and its source file's state and counts (None before
    the scan registered it)."""
    where = "i.id = %(id)s" if ref.isdigit() else "i.key = %(key)s"
    row = conn.execute(
        f"SELECT {', '.join('i.' + c for c in _COLUMNS.split(', '))},"
        " f.id AS source_file_id, f.state, f.reason_code, f.reason, f.rows_read, f.rows_loaded,"
        " f.rows_unchanged, f.rows_deduped, f.rows_rejected, f.rejects_key, f.finished_at"
        " FROM social.imports i LEFT JOIN social.source_files f"
        "   ON f.bucket = i.bucket AND f.key = i.key"
        f" WHERE {where} ORDER BY f.id DESC NULLS LAST LIMIT 1",
        {"id": int(ref) if ref.isdigit() else None, "key": ref}).fetchone()
    if row is None:
        return None
    names = _COLUMNS.split(", ")
    imported = ImportRow(**{k: row[k] for k in names})
    source = None if row["source_file_id"] is None else {
        k: v for k, v in row.items() if k not in names}
    return imported, source
