"""`sxp worker`: the long-running job worker (App Platform worker component).

The job loop of `sxp.pipeline.runner` on `concurrency` threads, polling until SIGTERM/SIGINT:
then it stops claiming and lets running jobs finish. A job of a worker that died is claimed
again once its lease runs out. With `SXP_PERIODIC_TASKS` set, a ticker thread also runs the
periodic tasks (`sxp.pipeline.periodic`: scan, export, retention) while the loop runs.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType

from sxp.bootstrap import App
from sxp.logs import get_logger
from sxp.pipeline.periodic import start_periodic
from sxp.pipeline.runner import Idle, new_worker_id, run_jobs

log = get_logger("worker")


def run_worker(app: App, *, concurrency: int, kinds: list[str] | None = None,
               stop_when_idle: bool = False, worker_id: str | None = None,
               stop: threading.Event | None = None) -> int:
    """Process jobs until stopped (or, with `stop_when_idle`, until none is pending).

    Returns the number of jobs processed (done, retried, postponed, dead or lost)."""
    worker_id = worker_id or new_worker_id("sxp-worker")
    stop = stop or threading.Event()
    restore = _install_signal_handlers(stop)
    log.info("worker started",
             extra={"worker": worker_id, "concurrency": concurrency, "kinds": kinds,
                    "periodic_tasks": app.settings.periodic_tasks})
    ticker = start_periodic(app, worker_id, stop)
    try:
        result = run_jobs(app, worker_id=worker_id, kinds=kinds, concurrency=concurrency,
                          idle=Idle.DRAIN if stop_when_idle else Idle.POLL,
                          max_idle_wait_s=float("inf"), stop=stop)
    finally:
        stop.set()
        if ticker is not None:
            ticker.join(timeout=10)
        restore()
    log.info("worker stopped", extra={"worker": worker_id, "processed": result.processed})
    return result.processed


def _install_signal_handlers(stop: threading.Event) -> Callable[[], None]:
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handle(signum: int, _frame: FrameType | None) -> None:
        log.info("worker stopping", extra={"signal": signum})
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore
