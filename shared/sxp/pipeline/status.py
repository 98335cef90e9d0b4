"""Counts per tier, per step and state, per batch state: what `sxp status` and the API show."""

from __future__ import annotations

from typing import Any

from sxp.adapters.postgres import deliveries, ledger, queue, source_files
from sxp.adapters.postgres import status as repo
from sxp.adapters.postgres.connection import DictConnection
from sxp.adapters.postgres.provider_health import provider_health_report
from sxp.bootstrap import App
from sxp.domain.budget import CALL_TYPES, budget_view
from sxp.native import card_numbers
from sxp.native import load as load_native


def native_ingest_state(enabled: bool) -> str:
    """'in use', 'off' (SXP_INGEST_NATIVE=false) or 'not built' (Python path only)."""
    if not enabled:
        return "off"
    return "in use" if load_native() is not None else "not built"


def collect_status(app: App) -> dict[str, Any]:
    from sxp.pipeline.retention import oldest_by_kind

    with app.connect() as conn:
        status = collect_status_on(
            conn, error_budget_target=app.settings.error_budget_target,
            error_budget_min_calls=app.settings.error_budget_min_calls,
            budgets={p: app.settings.budget_of(p) for p in CALL_TYPES},
            native_ingest=native_ingest_state(app.settings.ingest_native))
    status["retention"] = {"days": app.settings.retention, "oldest": oldest_by_kind(app)}
    return status


def collect_status_on(conn: DictConnection, *, error_budget_target: float = 0.99,
                      error_budget_min_calls: int = 100,
                      budgets: dict[str, tuple[int, int]] | None = None,
                      native_ingest: str = "unknown") -> dict[str, Any]:
    """`budgets`: (per_day, per_run) credits per provider, for today's budget view;
    `native_ingest`: whether JSONL ingest runs on the native path (`native_ingest_state`)."""
    status: dict[str, Any] = {"tiers": repo.totals(conn, "tier_counts"),
                              "ingest": repo.totals(conn, "ingest_totals")}
    for name in repo.GROUPED:
        status[name] = repo.grouped(conn, name)
    status["credits"] = ledger.totals_by_entry(conn)
    status["jobs"] = queue.counts_by_kind_and_state(conn)
    status["providers"] = provider_health_report(conn, target=error_budget_target,
                                                 min_calls=error_budget_min_calls)
    status["budgets"] = budget_view(ledger.ledger_today_by_provider(conn), budgets or {})
    status["failed_files"] = source_files.failed(conn)
    status["dead_jobs"] = queue.dead_jobs(conn)
    status["deliveries"] = deliveries.counts_by_state(conn)
    status["native_ingest"] = native_ingest
    status["native_cards"] = "in use" if card_numbers() is not None else "not built"
    return status
