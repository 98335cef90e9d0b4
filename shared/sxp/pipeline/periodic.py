"""The worker's periodic tasks: the scheduler of the App Platform shape, where functions get
no scheduled triggers (deploy/README.md).

`SXP_PERIODIC_TASKS` names the tasks and their periods. Every worker instance ticks; for each
task whose current slot no instance has claimed yet, the first to claim it runs it:

- `scan`: a new scheduled cycle (its gate passes share one budget), new inbox objects
  registered and their ingest queued, and a gate pass queued for cards left waiting;
- `export`: each consumer's next batch queued when cards are ready;
- `retention`: the retention pass queued (and old slot records forgotten).

The tasks only queue jobs, which the worker's job loop then runs, except the scan itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sxp.adapters.postgres import periodic, queue
from sxp.adapters.postgres.exports import has_ready_cards
from sxp.bootstrap import App
from sxp.domain.periodic import seconds_to_next_slot, slot_start
from sxp.logs import get_logger

log = get_logger("periodic")
SLOTS_KEPT = timedelta(days=7)
MAX_TICK_WAIT_S = 30.0


def _scan(app: App) -> None:
    from sxp.pipeline.run import enqueue_gate_if_waiting, start_scheduled_cycle
    from sxp.pipeline.scan import scan

    start_scheduled_cycle(app)
    scan(app)
    enqueue_gate_if_waiting(app)


def _export(app: App) -> None:
    with app.connect() as conn, conn.transaction():
        if has_ready_cards(conn):
            queue.enqueue(conn, "export", {}, queueing_lock="export")


def _retention(app: App) -> None:
    with app.connect() as conn, conn.transaction():
        queue.enqueue(conn, "retention", {}, queueing_lock="retention")
        periodic.prune_before(conn, datetime.now(UTC) - SLOTS_KEPT)


TASK_RUNNERS: dict[str, Callable[[App], None]] = {
    "scan": _scan, "export": _export, "retention": _retention}


def run_due(app: App, worker_id: str, now: datetime | None = None) -> list[str]:
    """Run the tasks whose current slot nobody has claimed; returns the ones this call ran."""
    moment = now or datetime.now(UTC)
    ran: list[str] = []
    for task, every_s in app.settings.periodic_tasks.items():
        start = slot_start(moment, every_s)
        with app.connect() as conn, conn.transaction():
            if not periodic.claim_slot(conn, task, start, worker_id):
                continue
        try:
            TASK_RUNNERS[task](app)
        except Exception:
            # give the slot back so the next tick (here or on another instance) tries again
            with app.connect() as conn, conn.transaction():
                periodic.release_slot(conn, task, start)
            log.exception("periodic task failed", extra={"task": task, "worker": worker_id})
            continue
        log.info("periodic task ran", extra={"task": task, "slot": start.isoformat(),
                                             "worker": worker_id})
        ran.append(task)
    return ran


def run_periodic(app: App, worker_id: str, stop: threading.Event) -> None:
    """Tick until `stop`: run what is due, then sleep until the next slot begins."""
    while not stop.is_set():
        try:
            run_due(app, worker_id)
        except Exception:  # the database is away: try again on the next tick
            log.exception("periodic tick failed", extra={"worker": worker_id})
        wait_s = seconds_to_next_slot(datetime.now(UTC), app.settings.periodic_tasks)
        stop.wait(min(max(wait_s, 0.5), MAX_TICK_WAIT_S))


def start_periodic(app: App, worker_id: str, stop: threading.Event) -> threading.Thread | None:
    """The ticker thread when this worker has periodic tasks, else None."""
    if not app.settings.periodic_tasks:
        return None
    thread = threading.Thread(target=run_periodic, args=(app, worker_id, stop),
                              name="sxp-periodic", daemon=True)
    thread.start()
    return thread
