"""Imports repository (`social.imports`): every upload's key, size and sha256, and what
became of it (the source file of the same key).

An import is *settled* once its content's sha256 is known: at once for uploads through sxp
(hashed on the way), at ingest for those that bypass it (planned uploads, inbox drops). A
settled import either holds its sha256 (unique: the first of that content) or names the
import it duplicates."""

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
    sha256: str | None  # None: not settled yet, or a duplicate
    size_bytes: int
    filename: str
    created_at: datetime
    duplicate_of: int | None


_COLUMNS = "id, bucket, key, sha256, size_bytes, filename, created_at, duplicate_of"


def add(conn: Conn, *, bucket: str, key: str, sha256: str, size_bytes: int,
        filename: str) -> int | None:
    """The new import's id; None when this content (sha256) was imported before."""
    row = conn.execute(
        "INSERT INTO social.imports (bucket, key, sha256, size_bytes, filename, settled_at)"
        " VALUES (%s, %s, %s, %s, %s, now()) ON CONFLICT (sha256) DO NOTHING RETURNING id",
        (bucket, key, sha256, size_bytes, filename)).fetchone()
    return None if row is None else int(row["id"])


def plan(conn: Conn, *, bucket: str, key: str, size_bytes: int, filename: str) -> int:
    """An upload that will bypass sxp (its content is hashed when it is ingested)."""
    row = conn.execute(
        "INSERT INTO social.imports (bucket, key, size_bytes, filename)"
        " VALUES (%s, %s, %s, %s) RETURNING id",
        (bucket, key, size_bytes, filename)).fetchone()
    assert row is not None
    return int(row["id"])


def unsettled(conn: Conn, bucket: str, key: str) -> bool:
    """No settled import has this key: its content is to be hashed as it is ingested."""
    row = conn.execute("SELECT settled_at FROM social.imports WHERE bucket = %s AND key = %s",
                       (bucket, key)).fetchone()
    return row is None or row["settled_at"] is None


def settle(conn: Conn, *, bucket: str, key: str, sha256: str, size_bytes: int,
           filename: str) -> int | None:
    """Record the content of the inbox object at `key`. When an earlier import brought the
    same content, nothing is recorded and that import's id is returned."""
    first = conn.execute(
        "SELECT id FROM social.imports WHERE sha256 = %s AND NOT (bucket = %s AND key = %s)",
        (sha256, bucket, key)).fetchone()
    if first is not None:
        return int(first["id"])
    conn.execute(
        "INSERT INTO social.imports (bucket, key, sha256, size_bytes, filename, settled_at)"
        " VALUES (%s, %s, %s, %s, %s, now()) ON CONFLICT (bucket, key) DO UPDATE"
        " SET sha256 = EXCLUDED.sha256, size_bytes = EXCLUDED.size_bytes, settled_at = now()"
        " WHERE social.imports.settled_at IS NULL",
        (bucket, key, sha256, size_bytes, filename))
    return None


def mark_duplicate(conn: Conn, *, bucket: str, key: str, first_id: int, size_bytes: int,
                   filename: str) -> None:
    """The object at `key` held the content of import `first_id`."""
    conn.execute(
        "INSERT INTO social.imports (bucket, key, size_bytes, filename, duplicate_of,"
        " settled_at) VALUES (%s, %s, %s, %s, %s, now()) ON CONFLICT (bucket, key) DO UPDATE"
        " SET duplicate_of = EXCLUDED.duplicate_of, settled_at = now()"
        " WHERE social.imports.settled_at IS NULL",
        (bucket, key, size_bytes, filename, first_id))


def by_sha256(conn: Conn, sha256: str) -> ImportRow | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM social.imports WHERE sha256 = %s",
                       (sha256,)).fetchone()
    return None if row is None else ImportRow(**row)


def find(conn: Conn, ref: str) -> tuple[ImportRow, dict[str, Any] | None] | None:
    """An import by id or by inbox key, and its source file's state and counts (None before
    the scan registered it)."""
    by_id = ref.isascii() and ref.isdigit()  # not '³0': str.isdigit takes what int() refuses
    where = "i.id = %(id)s" if by_id else "i.key = %(key)s"
    row = conn.execute(
        f"SELECT {', '.join('i.' + c for c in _COLUMNS.split(', '))},"
        " f.id AS source_file_id, f.state, f.reason_code, f.reason, f.rows_read, f.rows_loaded,"
        " f.rows_unchanged, f.rows_deduped, f.rows_rejected, f.rows_stale, f.rejects_key,"
        " f.finished_at"
        " FROM social.imports i LEFT JOIN social.source_files f"
        "   ON f.bucket = i.bucket AND f.key = i.key"
        f" WHERE {where} ORDER BY f.id DESC NULLS LAST LIMIT 1",
        {"id": int(ref) if by_id else None, "key": ref}).fetchone()
    if row is None:
        return None
    names = _COLUMNS.split(", ")
    imported = ImportRow(**{k: row[k] for k in names})
    source = None if row["source_file_id"] is None else {
        k: v for k, v in row.items() if k not in names}
    return imported, source
