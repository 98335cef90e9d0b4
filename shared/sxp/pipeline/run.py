"""One pass of the whole pipeline: scan the inbox, then drain every step until nothing is left."""

from __future__ import annotations

from dataclasses import dataclass
from typing import LiteralString

from sxp.adapters.postgres import queue
from sxp.bootstrap import App
from sxp.pipeline.runner import DrainResult, ProgressCallback, drain

_CARDS_AWAITING_GATE = (
    "SELECT EXISTS (SELECT 1 FROM execution.lead_cards"
    " WHERE enrich_state = 'new' AND labeled_at IS NOT NULL)")
_CARDS_AWAITING_EXPORT = (
    "SELECT EXISTS (SELECT 1 FROM execution.lead_cards WHERE export_batch_id IS NULL"
    " AND labeled_at IS NOT NULL AND enrich_state IN ('enriched', 'not_found', 'ineligible'))")


@dataclass
class RunResult:
    files_registered: int
    drained: DrainResult


def run_pipeline(app: App, *, on_progress: ProgressCallback | None = None,
                 max_idle_wait_s: float = 30.0) -> RunResult:
    """Scan, drain; then give gate and export a pass over anything earlier runs left waiting."""
    from sxp.pipeline.scan import scan

    scanned = scan(app)
    result = drain(app, on_progress=on_progress, max_idle_wait_s=max_idle_wait_s)
    _enqueue_if(app, "gate", _CARDS_AWAITING_GATE)
    second = drain(app, on_progress=on_progress, max_idle_wait_s=max_idle_wait_s)
    _enqueue_if(app, "export", _CARDS_AWAITING_EXPORT)
    third = drain(app, on_progress=on_progress, max_idle_wait_s=max_idle_wait_s)
    for extra in (second, third):
        result.done += extra.done
        result.failed += extra.failed
        result.dead += extra.dead
        for kind, n in extra.by_kind.items():
            result.by_kind[kind] = result.by_kind.get(kind, 0) + n
    return RunResult(files_registered=scanned.registered, drained=result)


def _enqueue_if(app: App, kind: str, exists_sql: LiteralString) -> None:
    with app.connect() as conn:
        row = conn.execute(exists_sql).fetchone()
        if row and next(iter(row.values())):
            queue.enqueue(conn, kind, {}, queueing_lock=kind)
        conn.commit()
