"""Consumers repository (`execution.consumers`): registered execution platforms.

Webhook signing secrets live in `secrets` (newest first); nothing here returns them except
`signing_secrets`, which only the deliverer calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from sxp.domain.consumers import ConsumerFilter

Conn = psycopg.Connection[Any]


@dataclass(frozen=True)
class Consumer:
    id: int
    name: str
    transport: str
    settings: dict[str, Any]
    execution_labels: list[str] | None
    audience_pools: list[str] | None
    include_contact: bool
    state: str
    state_reason: str | None
    cursor_seq: int
    batch_count: int
    created_at: datetime
    rotation_ends_at: datetime | None

    @property
    def filter(self) -> ConsumerFilter:
        return ConsumerFilter(
            execution_labels=None if self.execution_labels is None
            else tuple(self.execution_labels),
            audience_pools=None if self.audience_pools is None else tuple(self.audience_pools))


_COLUMNS = ("id, name, transport, settings, execution_labels, audience_pools, include_contact,"
            " state, state_reason, cursor_seq, batch_count, created_at, rotation_ends_at")


def add(conn: Conn, *, name: str, transport: str, settings: dict[str, Any],
        execution_labels: tuple[str, ...] | None, audience_pools: tuple[str, ...] | None,
        include_contact: bool, secret: str | None) -> Consumer | None:
    """None when a consumer of that name exists (a removed one is brought back)."""
    row = conn.execute(
        "INSERT INTO execution.consumers (name, transport, settings, execution_labels,"
        " audience_pools, include_contact, secrets) VALUES (%s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (name) DO UPDATE SET transport = EXCLUDED.transport,"
        "  settings = EXCLUDED.settings, execution_labels = EXCLUDED.execution_labels,"
        "  audience_pools = EXCLUDED.audience_pools,"
        "  include_contact = EXCLUDED.include_contact, secrets = EXCLUDED.secrets,"
        "  state = 'active', state_reason = NULL, updated_at = now()"
        "  WHERE execution.consumers.state = 'removed'"
        f" RETURNING {_COLUMNS}",
        (name, transport, Jsonb(settings), _array(execution_labels), _array(audience_pools),
         include_contact, [secret] if secret else [])).fetchone()
    return None if row is None else Consumer(**row)


def by_name(conn: Conn, name: str) -> Consumer | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM execution.consumers WHERE name = %s",
                       (name,)).fetchone()
    return None if row is None else Consumer(**row)


def by_id(conn: Conn, consumer_id: int) -> Consumer | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM execution.consumers WHERE id = %s",
                       (consumer_id,)).fetchone()
    return None if row is None else Consumer(**row)


def listed(conn: Conn, *, include_removed: bool = False) -> list[Consumer]:
    return [Consumer(**r) for r in conn.execute(
        f"SELECT {_COLUMNS} FROM execution.consumers"
        " WHERE %s OR state <> 'removed' ORDER BY name", (include_removed,))]


def active(conn: Conn) -> list[Consumer]:
    return [Consumer(**r) for r in conn.execute(
        f"SELECT {_COLUMNS} FROM execution.consumers WHERE state = 'active' ORDER BY id")]


def set_state(conn: Conn, name: str, state: str, reason: str | None = None) -> Consumer | None:
    """None when no consumer (that is not removed) has the name."""
    row = conn.execute(
        "UPDATE execution.consumers SET state = %s, state_reason = %s, updated_at = now()"
        f" WHERE name = %s AND state <> 'removed' RETURNING {_COLUMNS}",
        (state, reason, name)).fetchone()
    return None if row is None else Consumer(**row)


def pause_by_id(conn: Conn, consumer_id: int, reason: str) -> None:
    conn.execute("UPDATE execution.consumers SET state = 'paused', state_reason = %s,"
                 " updated_at = now() WHERE id = %s AND state = 'active'",
                 (reason, consumer_id))


def signing_secrets(conn: Conn, consumer_id: int) -> list[str]:
    """The secrets to sign with now: the newest, and the previous while a rotation runs."""
    row = conn.execute(
        "SELECT CASE WHEN rotation_ends_at > now() THEN secrets ELSE secrets[1:1] END AS s"
        " FROM execution.consumers WHERE id = %s", (consumer_id,)).fetchone()
    return list(row["s"] or []) if row else []


def rotate_secret(conn: Conn, name: str, secret: str, overlap_s: int) -> bool:
    """Make `secret` the newest; the previous one signs too for `overlap_s` seconds."""
    return conn.execute(
        "UPDATE execution.consumers SET secrets = ARRAY[%s] || secrets[1:1],"
        " rotation_ends_at = now() + make_interval(secs => %s), updated_at = now()"
        " WHERE name = %s AND transport = 'webhook' AND state <> 'removed'",
        (secret, overlap_s, name)).rowcount == 1


def _array(values: tuple[str, ...] | None) -> list[str] | None:
    return None if values is None else list(values)
