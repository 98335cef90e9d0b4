"""Audit writer: INSERT only, one event per (event_type, batch_id), PII scrubbed before write;
the chain check, and the retention prune (through the one definer function that may)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from sxp.adapters.postgres.named_sql import query
from sxp.logs import scrub

AUDIT_SCHEMA_VERSION = "audit.v1"


def record_event(conn: psycopg.Connection[Any], *, event_type: str, actor: str, service: str,
                 outcome: str, batch_id: str | None = None, checksum: str | None = None,
                 details: dict[str, Any] | None = None) -> bool:
    """Append an audit event in the caller's transaction. False if it was already recorded."""
    cur = conn.execute(
        "INSERT INTO audit.audit_log (event_type, actor, service, batch_id, schema_version,"
        " outcome, checksum, details) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (event_type, batch_id) WHERE batch_id IS NOT NULL DO NOTHING",
        (event_type, actor, service, batch_id, AUDIT_SCHEMA_VERSION, outcome, checksum,
         Jsonb(scrub(details or {}))),
    )
    return cur.rowcount == 1


@dataclass(frozen=True)
class ChainCheck:
    rows: int
    first_bad: int | None  # the id of the first row that does not verify
    reason: str | None


def verify_chain(conn: psycopg.Connection[Any]) -> ChainCheck:
    """Recompute every row's chain hash (independent of the session's time zone) and check
    that each row names the one before it."""
    row = conn.execute(query("audit", "verify_chain")).fetchone()
    assert row is not None
    return ChainCheck(int(row["rows"]), row["first_bad"], row["reason"])


def prune_before(conn: psycopg.Connection[Any], cutoff: datetime) -> int:
    """Retention: remove audit rows written before `cutoff` (at least 30 days ago), leaving an
    anchor so the rest of the chain still verifies. The rows removed."""
    row = conn.execute("SELECT audit.prune_before(%s) AS n", (cutoff,)).fetchone()
    return int(row["n"]) if row else 0
