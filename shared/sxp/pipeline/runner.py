"""Drain the queue in this process: claim a job, run its step, record success or failure.

`run_claimed` is the one place that turns a step's exception into a queue outcome; the
long-running worker and `sxp run` both go through it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sxp.adapters.postgres import queue
from sxp.adapters.postgres.queue import Job
from sxp.bootstrap import App
from sxp.errors import InputError, JobPostponed, ProviderFatal, ProviderRetryable
from sxp.logs import get_logger
from sxp.pipeline.jobs import handler_for

log = get_logger("runner")

ProgressCallback = Callable[[Job, str, float], None]


@dataclass
class DrainResult:
    done: int = 0
    failed: int = 0
    dead: int = 0
    postponed: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def add(self, other: DrainResult) -> None:
        self.done += other.done
        self.failed += other.failed
        self.dead += other.dead
        self.postponed += other.postponed
        for kind, n in other.by_kind.items():
            self.by_kind[kind] = self.by_kind.get(kind, 0) + n


def new_worker_id(prefix: str = "sxp") -> str:
    return f"{prefix}-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def run_claimed(app: App, job: Job, worker_id: str) -> str:
    """Run one claimed job; return 'done', 'todo' (will retry), 'postponed' or 'dead'."""
    started = time.monotonic()
    try:
        with _heartbeat(app, job, worker_id):
            handler_for(job.kind)(app, job)
    except JobPostponed as exc:
        with app.connect() as conn:
            queue.postpone(conn, job, exc.reason_code, exc.retry_after_s)
        log.info("job postponed", extra={"job_id": job.id, "kind": job.kind,
                                         "reason_code": exc.reason_code,
                                         "retry_in_s": exc.retry_after_s})
        return "postponed"
    except ProviderRetryable as exc:
        return _record_failure(app, job, exc, retry_in_s=exc.retry_after_s)
    except (ProviderFatal, InputError, KeyError) as exc:
        return _record_failure(app, job, exc, fatal=True)
    except Exception as exc:  # noqa: BLE001 - any step failure is recorded on the job
        return _record_failure(app, job, exc)
    log.info("job done", extra={"job_id": job.id, "kind": job.kind, "worker": worker_id,
                                "elapsed_s": round(time.monotonic() - started, 3)})
    return "done"


@contextlib.contextmanager
def _heartbeat(app: App, job: Job, worker_id: str) -> Iterator[None]:
    """Keep the job's lease alive from a side thread while its step runs."""
    lease_s = app.settings.job_lease_s
    stop = threading.Event()

    def beat() -> None:
        with app.connect() as conn:
            while not stop.wait(lease_s / 3):
                if not queue.heartbeat(conn, job.id, worker_id, lease_s):
                    return

    thread = threading.Thread(target=beat, name=f"heartbeat-{job.id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _record_failure(app: App, job: Job, exc: Exception, *, retry_in_s: float | None = None,
                    fatal: bool = False) -> str:
    reason = f"{type(exc).__name__}: {exc}"
    with app.connect() as conn:
        state = queue.fail(conn, job, reason, retry_in_s=retry_in_s, fatal=fatal)
    log.warning("job failed", extra={"job_id": job.id, "kind": job.kind, "state": state,
                                     "error_type": type(exc).__name__,
                                     "attempt": job.attempts})
    return state


def drain(app: App, *, kinds: list[str] | None = None, max_idle_wait_s: float = 30.0,
          on_progress: ProgressCallback | None = None) -> DrainResult:
    """Run jobs until none is pending (waiting for delayed retries up to `max_idle_wait_s`)."""
    worker_id = new_worker_id("sxp-run")
    result = DrainResult()
    idle_since: float | None = None
    with app.connect() as conn:
        while True:
            job = queue.claim(conn, worker_id, kinds, app.settings.job_lease_s)
            if job is None:
                pending = queue.pending_count(conn, kinds)
                conn.commit()
                if pending == 0:
                    return result
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since > max_idle_wait_s:
                    log.warning("drain stopped with jobs still waiting",
                                extra={"pending": pending})
                    return result
                time.sleep(0.2)
                continue
            idle_since = None
            started = time.monotonic()
            outcome = run_claimed(app, job, worker_id)
            _count(result, job, outcome)
            if on_progress is not None:
                on_progress(job, outcome, time.monotonic() - started)


def _count(result: DrainResult, job: Job, outcome: str) -> None:
    if outcome == "done":
        result.done += 1
        result.by_kind[job.kind] = result.by_kind.get(job.kind, 0) + 1
    elif outcome == "dead":
        result.dead += 1
    elif outcome == "postponed":
        result.postponed += 1
    else:
        result.failed += 1
