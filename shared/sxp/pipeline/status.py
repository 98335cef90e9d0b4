"""Counts per tier, per step and state, per batch state: what `sxp status` and the API show."""

from __future__ import annotations

from typing import Any, LiteralString

from sxp.adapters.postgres.connection import DictConnection
from sxp.bootstrap import App
from sxp.domain.budget import CALL_TYPES, budget_view

_GROUPED: dict[str, str] = {
    "source_files": "SELECT state AS k, count(*) AS n FROM social.source_files GROUP BY 1",
    "cards_by_execution_label":
        "SELECT coalesce(execution_label, 'unlabeled') AS k, count(*) AS n"
        " FROM execution.lead_cards GROUP BY 1",
    "cards_by_enrich_state":
        "SELECT enrich_state AS k, count(*) AS n FROM execution.lead_cards GROUP BY 1",
    "enrichment_batches":
        "SELECT state AS k, count(*) AS n FROM execution.enrichment_batches GROUP BY 1",
    "export_batches": "SELECT state AS k, count(*) AS n FROM execution.export_batches GROUP BY 1",
    "audit_events": "SELECT event_type AS k, count(*) AS n FROM audit.audit_log GROUP BY 1",
    "credits": "SELECT entry AS k, coalesce(sum(credits), 0) AS n"
               " FROM execution.credit_ledger GROUP BY 1",
}

_INGEST_TOTALS = (
    "SELECT coalesce(sum(rows_read), 0) AS rows_read, coalesce(sum(rows_loaded), 0) AS loaded,"
    " coalesce(sum(rows_unchanged), 0) AS unchanged, coalesce(sum(rows_deduped), 0) AS deduped,"
    " coalesce(sum(rows_rejected), 0) AS rejected FROM social.source_files")

_TIER_COUNTS = (
    "SELECT (SELECT count(*) FROM social.raw_social_profiles) AS tier1_profiles,"
    " (SELECT count(*) FROM execution.lead_cards) AS tier3_lead_cards,"
    " (SELECT count(*) FROM execution.lead_cards WHERE labeled_at IS NOT NULL) AS labeled_cards,"
    " (SELECT count(*) FROM execution.lead_cards WHERE export_batch_id IS NOT NULL)"
    "   AS exported_cards,"
    " (SELECT count(*) FROM contact.contacts) AS tier2_contacts,"
    " (SELECT count(*) FROM contact.businesses) AS tier2_businesses,"
    " (SELECT count(*) FROM audit.audit_log) AS audit_rows")


def collect_status(app: App) -> dict[str, Any]:
    with app.connect() as conn:
        return collect_status_on(conn, error_budget_target=app.settings.error_budget_target,
                                 error_budget_min_calls=app.settings.error_budget_min_calls,
                                 budgets={p: app.settings.budget_of(p) for p in CALL_TYPES})


def collect_status_on(conn: DictConnection, *, error_budget_target: float = 0.99,
                      error_budget_min_calls: int = 100,
                      budgets: dict[str, tuple[int, int]] | None = None) -> dict[str, Any]:
    """`budgets`: (per_day, per_run) credits per provider, for today's budget view."""
    status: dict[str, Any] = {"tiers": _one(conn, _TIER_COUNTS),
                              "ingest": _one(conn, _INGEST_TOTALS)}
    for name, sql in _GROUPED.items():
        status[name] = {row["k"]: int(row["n"]) for row in conn.execute(sql)}
    jobs: dict[str, dict[str, int]] = {}
    for row in conn.execute("SELECT kind, state, count(*) AS n FROM queue.jobs GROUP BY 1, 2"):
        jobs.setdefault(row["kind"], {})[row["state"]] = int(row["n"])
    status["jobs"] = jobs
    from sxp.adapters.postgres.provider_health import provider_health_report

    status["providers"] = provider_health_report(conn, target=error_budget_target,
                                                 min_calls=error_budget_min_calls)
    from sxp.adapters.postgres.cards import ledger_today_by_provider

    status["budgets"] = budget_view(ledger_today_by_provider(conn), budgets or {})
    status["failed_files"] = [dict(r) for r in conn.execute(
        "SELECT id, key, reason_code, reason FROM social.source_files WHERE state = 'failed'"
        " ORDER BY id")]
    status["dead_jobs"] = [dict(r) for r in conn.execute(
        "SELECT id, kind, attempts, last_error FROM queue.jobs WHERE state = 'dead' ORDER BY id")]
    return status


def _one(conn: DictConnection, sql: LiteralString) -> dict[str, int]:
    row = conn.execute(sql).fetchone()
    return {k: int(v) for k, v in (row or {}).items()}
