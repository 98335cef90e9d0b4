"""What one pipeline run did, read back for its summary (`sxp run`, `make demo`): the files
it finished, its gate passes, its enrichment per provider, the batches it exported, and what
is still waiting."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

Conn = psycopg.Connection[Any]


def files_finished_since(conn: Conn, since: datetime) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(
        "SELECT id, key, state, reason_code, reason, rows_read, rows_loaded, rows_unchanged,"
        "       rows_deduped, rows_rejected, rows_suppressed, rejects_key"
        "  FROM social.source_files"
        " WHERE finished_at >= %s OR (registered_at >= %s AND state <> 'ingested')"
        " ORDER BY id", (since, since)).fetchall()]


def gate_passes_of_run(conn: Conn, run_id: int) -> dict[str, int]:
    row = conn.execute(
        "SELECT count(*) AS passes, coalesce(sum(eligible), 0) AS eligible,"
        "       coalesce(sum(cards_queued), 0) AS cards_queued,"
        "       coalesce(sum(batches), 0) AS batches,"
        "       coalesce(sum(credits_reserved), 0) AS credits_reserved,"
        "       coalesce((array_agg(out_of_budget ORDER BY id DESC))[1], 0) AS out_of_budget"
        "  FROM execution.gate_passes WHERE run_id = %s", (run_id,)).fetchone()
    return {k: int(v) for k, v in (row or {}).items()}


def enrichment_of_run(conn: Conn, run_id: int) -> list[dict[str, Any]]:
    """Per provider: batches, provider calls, cards found, credits spent."""
    return [dict(r) for r in conn.execute(
        "SELECT b.provider, count(DISTINCT b.id) AS batches,"
        "       coalesce(sum(c.calls), 0) AS calls,"
        "       coalesce(sum(b.cards_enriched), 0) AS found,"
        "       coalesce(sum(b.cards_not_found), 0) AS not_found,"
        "       coalesce(sum(b.credits_spent), 0) AS credits"
        "  FROM execution.enrichment_batches b"
        "  LEFT JOIN LATERAL (SELECT count(*) AS calls FROM contact.provider_calls p"
        "                      WHERE p.batch_id = b.id) c ON true"
        " WHERE b.run_id = %s GROUP BY b.provider ORDER BY b.provider", (run_id,)).fetchall()]


def batches_since(conn: Conn, since: datetime) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(
        "SELECT c.name AS consumer, b.id AS batch_id, b.state, b.card_count,"
        "       b.withdrawal_count, b.manifest_key"
        "  FROM execution.export_batches b JOIN execution.consumers c ON c.id = b.consumer_id"
        " WHERE b.created_at >= %s ORDER BY c.name, b.sequence", (since,)).fetchall()]


def jobs_waiting(conn: Conn) -> list[dict[str, Any]]:
    """Jobs to run or running, with who holds them and for how much longer."""
    return [dict(r) for r in conn.execute(
        "SELECT id, kind, state, attempts, locked_by,"
        "       extract(epoch FROM run_after - now())::float8 AS due_in_s,"
        "       extract(epoch FROM lease_until - now())::float8 AS lease_left_s"
        "  FROM queue.jobs WHERE state IN ('todo', 'doing') ORDER BY id").fetchall()]
