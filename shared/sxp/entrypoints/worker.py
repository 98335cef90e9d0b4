"""`sxp worker`: the long-running job worker (App Platform worker component).

Claims jobs from the Postgres queue and runs each through `sxp.pipeline.runner.run_claimed`
(which heartbeats the job's lease on its own connection and turns exceptions into retries or
dead jobs) in a pool of `concurrency` threads. SIGTERM/SIGINT stop claiming; running jobs finish.
A job of a worker that died is claimed again once its lease runs out.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from types import FrameType
from typing import Any, cast

import psycopg

from sxp.adapters.postgres import queue
from sxp.adapters.postgres.queue import Job
from sxp.bootstrap import App
from sxp.logs import get_logger
from sxp.pipeline.runner import new_worker_id, run_claimed

log = get_logger("worker")
IDLE_POLL_S = 0.5
RECONNECT_S = 2.0


def run_worker(
    app: App,
    *,
    concurrency: int,
    kinds: list[str] | None = None,
    stop_when_idle: bool = False,
    worker_id: str | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Process jobs until stopped (or, with `stop_when_idle`, until none is pending).

    Returns the number of jobs processed (done, retried or dead)."""
    worker_id = worker_id or new_worker_id("sxp-worker")
    stop = stop or threading.Event()
    restore = _install_signal_handlers(stop)
    processed = 0
    running: set[Future[str]] = set()
    log.info(
        "worker started", extra={"worker": worker_id, "concurrency": concurrency, "kinds": kinds}
    )
    try:
        with ThreadPoolExecutor(concurrency, thread_name_prefix="sxp-job") as pool:
            claimer = _Claimer(app, worker_id, kinds)
            while not stop.is_set():
                if len(running) >= concurrency:
                    finished, running = _wait(running, None)
                    processed += len(finished)
                    continue
                job = claimer.claim()
                if job is not None:
                    running.add(pool.submit(run_claimed, app, job, worker_id))
                    continue
                if stop_when_idle and not running and claimer.pending() == 0:
                    break
                finished, running = _wait(running, IDLE_POLL_S)
                processed += len(finished)
                if not finished:
                    stop.wait(IDLE_POLL_S if not running else 0)
            finished, running = _wait(running, None)
            processed += len(finished)
            claimer.close()
    finally:
        restore()
    log.info("worker stopped", extra={"worker": worker_id, "processed": processed})
    return processed


class _Claimer:
    """The worker's own queue connection, reopened when the database goes away for a while."""

    def __init__(self, app: App, worker_id: str, kinds: list[str] | None) -> None:
        self.app, self.worker_id, self.kinds = app, worker_id, kinds
        self._conn: psycopg.Connection[Any] | None = None

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = cast("psycopg.Connection[Any]", self.app.connect())
        return self._conn

    def claim(self) -> Job | None:
        try:
            return queue.claim(
                self._connection(), self.worker_id, self.kinds, self.app.settings.job_lease_s
            )
        except psycopg.OperationalError:
            log.warning("queue unreachable; retrying", extra={"worker": self.worker_id})
            self.close()
            time.sleep(RECONNECT_S)
            return None

    def pending(self) -> int:
        try:
            conn = self._connection()
            count = queue.pending_count(conn, self.kinds)
            conn.commit()
            return count
        except psycopg.OperationalError:
            self.close()
            return -1

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _wait(
    running: set[Future[str]], timeout: float | None
) -> tuple[set[Future[str]], set[Future[str]]]:
    if not running:
        return set(), set()
    done, not_done = wait(running, timeout=timeout, return_when=FIRST_COMPLETED)
    for future in done:
        exc = future.exception()
        if exc is not None:  # run_claimed records step failures; this is the runner failing
            log.error("job runner failed", extra={"error_type": type(exc).__name__})
    return set(done), set(not_done)


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
