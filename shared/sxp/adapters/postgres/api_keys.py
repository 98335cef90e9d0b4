"""API keys repository (`access.api_keys`): names, scopes and secret hashes, never tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

Conn = psycopg.Connection[Any]


@dataclass(frozen=True)
class ApiKey:
    id: int
    key_id: str
    name: str
    secret_sha256: bytes
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    consumer_id: int | None = None  # a consumer's key sees only that consumer's batches


_COLUMNS = ("id, key_id, name, secret_sha256, scopes, created_at, last_used_at, revoked_at,"
            " consumer_id")


def create(conn: Conn, *, name: str, key_id: str, secret_sha256: bytes,
           scopes: list[str], consumer_id: int | None = None) -> bool:
    """False when a key of that name exists already."""
    row = conn.execute(
        "INSERT INTO access.api_keys (name, key_id, secret_sha256, scopes, consumer_id)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (name) DO NOTHING RETURNING id",
        (name, key_id, secret_sha256, scopes, consumer_id)).fetchone()
    return row is not None


def by_key_id(conn: Conn, key_id: str) -> ApiKey | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM access.api_keys WHERE key_id = %s",
                       (key_id,)).fetchone()
    return None if row is None else ApiKey(**row)


def all_keys(conn: Conn) -> list[ApiKey]:
    return [ApiKey(**r) for r in conn.execute(
        f"SELECT {_COLUMNS} FROM access.api_keys ORDER BY name")]


def revoke(conn: Conn, name: str) -> bool:
    """False when no live key has that name."""
    return conn.execute("UPDATE access.api_keys SET revoked_at = now()"
                        " WHERE name = %s AND revoked_at IS NULL", (name,)).rowcount == 1


def touch(conn: Conn, key_id: int) -> None:
    """Record use, at most once a minute per key (so reads stay reads)."""
    conn.execute("UPDATE access.api_keys SET last_used_at = now() WHERE id = %s"
                 " AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
                 (key_id,))
