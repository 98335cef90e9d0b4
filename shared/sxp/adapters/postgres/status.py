"""Status repository: counts per tier, per step state and per batch state, read in one go."""

from __future__ import annotations

from typing import Any

import psycopg

from sxp.adapters.postgres.named_sql import query

Conn = psycopg.Connection[Any]
TOTALS = ("tier_counts", "ingest_totals")
GROUPED = ("source_files", "cards_by_execution_label", "cards_by_enrich_state",
           "enrichment_batches", "export_batches", "audit_events")


def totals(conn: Conn, name: str) -> dict[str, int]:
    """One row of counts (`tier_counts` or `ingest_totals`)."""
    row = conn.execute(query("status", name)).fetchone()
    return {k: int(v) for k, v in (row or {}).items()}


def grouped(conn: Conn, name: str) -> dict[str, int]:
    """Counts by key of one of GROUPED."""
    return {str(r["k"]): int(r["n"]) for r in conn.execute(query("status", name))}
