"""One pass of the whole pipeline: scan the inbox, then drain every step until nothing is left.

The pass is a pipeline run (`execution.pipeline_runs`): every gate pass during it, job reruns
included, draws on one per-run credit budget (docs/budgets.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from sxp.adapters.postgres import queue, runs
from sxp.adapters.postgres.cards import has_stale_dnc
from sxp.adapters.postgres.exports import has_ready_cards
from sxp.bootstrap import App
from sxp.pipeline.gate import worth_a_pass
from sxp.pipeline.runner import AdvanceCallback, DrainResult, ProgressCallback, drain


@dataclass
class RunResult:
    files_registered: int
    drained: DrainResult
    run_id: int
    started_at: datetime
    released_jobs: list[int]


def run_pipeline(app: App, *, on_progress: ProgressCallback | None = None,
                 on_advance: AdvanceCallback | None = None,
                 max_idle_wait_s: float = 30.0) -> RunResult:
    """Scan and drain; then give gate and export a pass over anything earlier runs left waiting
    (cards held back by yesterday's budget, cards whose DNC status went stale, cards settled
    while no export was queued)."""
    from sxp.pipeline.leases import release_jobs_of_gone_holders
    from sxp.pipeline.scan import scan

    released = release_jobs_of_gone_holders(app)
    with app.connect() as conn:
        run_id = runs.open_run(conn, "sxp run")
        started_at = runs.started_at(conn, run_id)  # the database's clock, as the files'
        conn.commit()
    try:
        scanned = scan(app)
        result = drain(app, on_progress=on_progress, on_advance=on_advance,
                       max_idle_wait_s=max_idle_wait_s)
        for kind, waiting in (("gate", _gate_waiting(app)), ("export", has_ready_cards)):
            if _enqueue_if(app, kind, waiting):
                result.add(drain(app, on_progress=on_progress, on_advance=on_advance,
                                 max_idle_wait_s=max_idle_wait_s))
    finally:
        with app.connect() as conn:
            runs.finish_run(conn, run_id)
            conn.commit()
    return RunResult(files_registered=scanned.registered, drained=result, run_id=run_id,
                     started_at=started_at, released_jobs=released)


SCHEDULED_CYCLE = "scheduled cycle"


def start_scheduled_cycle(app: App) -> int:
    """A scheduled cycle of the functions begins (the scan trigger): the previous cycle's run
    ends and a new one opens; the gate passes until the next scan share its budget."""
    with app.connect() as conn, conn.transaction():
        runs.finish_open_of(conn, SCHEDULED_CYCLE)
        return runs.open_run(conn, SCHEDULED_CYCLE)


def enqueue_gate_if_waiting(app: App) -> bool:
    """Queue a gate pass when cards wait for one (held back by an earlier budget, or their
    DNC status gone stale)."""
    return _enqueue_if(app, "gate", _gate_waiting(app))


def _gate_waiting(app: App) -> Callable[[psycopg.Connection[Any]], bool]:
    ruleset = app.ruleset()

    def waiting(conn: psycopg.Connection[Any]) -> bool:
        return worth_a_pass(app, conn) or (ruleset.dnc.recheck and has_stale_dnc(
            conn, ruleset.gate.enrichable_labels, ruleset.dnc.max_age_days * 86400))

    return waiting


def _enqueue_if(app: App, kind: str, waiting: Callable[[psycopg.Connection[Any]], bool]) -> bool:
    with app.connect() as conn:
        queued = waiting(conn) and queue.enqueue(conn, kind, {}, queueing_lock=kind) is not None
        conn.commit()
    return queued
