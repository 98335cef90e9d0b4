"""The one job loop: claim, run the step, record its outcome. `sxp run`, `sxp worker` and the
functions' drain all go through `run_jobs`.

    run_jobs ── Claimer.claim ──▶ run_claimed(job) in a pool of `concurrency` threads
                                   ├─ Heartbeat: extends the lease from a side thread; when it
                                   │  cannot (job taken over, database gone past the lease) it
                                   │  sets `lost`, and the step's `check_lease()` and its final
                                   │  `queue.complete` refuse to go on
                                   └─ outcome: done | todo (retry) | dead | postponed | lost

`sxp run` drains with `beside=RUN_BESIDE`: a job starts beside running ones only when they and
it are enrichment batches and it is next in the queue's order; any other job runs alone. The
steps follow each other as on one thread, so a run's ids, counts and export batches do not
depend on timing. The worker starts whatever is next (`beside=None`).

When it stops (`Idle`): `EXIT` as soon as no job is ready (functions), `DRAIN` once none is
pending, waiting for delayed retries up to `max_idle_wait_s` (`sxp run`), `POLL` never, only
when `stop` is set or `deadline_s` passes (the worker). Running jobs always finish.
"""

from __future__ import annotations

import math
import os
import socket
import time
import uuid
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from enum import Enum
from threading import Event

from sxp.adapters.postgres import queue
from sxp.adapters.postgres.queue import Job
from sxp.bootstrap import App
from sxp.errors import JobPostponed, LeaseLost, SxpError
from sxp.logs import get_logger
from sxp.pipeline.claimer import Claimer, Heartbeat
from sxp.pipeline.jobs import handler_for, set_lease_lost_event, set_progress_report

log = get_logger("runner")
IDLE_POLL_S = 0.2

ProgressCallback = Callable[[Job, str, float], None]
# a running job's own progress: (job, done, total or None, unit), from the job's thread
AdvanceCallback = Callable[[Job, int, int | None, str], None]


# the jobs `sxp run` runs beside others of their kind: enrichment batches are disjoint sets of
# cards, each paced by its provider, so one writes its answers while another waits on its
# provider. Other steps share the pool (two files' ingests would interleave Tier 1's ids and
# dedupe in the order they happened to run).
RUN_BESIDE = frozenset({"enrich"})


class Idle(Enum):
    EXIT = "exit"
    DRAIN = "drain"
    POLL = "poll"


@dataclass
class DrainResult:
    done: int = 0
    failed: int = 0
    dead: int = 0
    postponed: int = 0
    lost: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def processed(self) -> int:
        return self.done + self.failed + self.dead + self.postponed + self.lost

    def count(self, job: Job, outcome: str) -> None:
        if outcome == "done":
            self.done += 1
            self.by_kind[job.kind] = self.by_kind.get(job.kind, 0) + 1
        elif outcome in ("dead", "postponed", "lost"):
            setattr(self, outcome, getattr(self, outcome) + 1)
        else:
            self.failed += 1

    def add(self, other: DrainResult) -> None:
        for name in ("done", "failed", "dead", "postponed", "lost"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for kind, n in other.by_kind.items():
            self.by_kind[kind] = self.by_kind.get(kind, 0) + n


def new_worker_id(prefix: str = "sxp") -> str:
    return f"{prefix}-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def run_jobs(app: App, *, worker_id: str, kinds: list[str] | None = None,
             concurrency: int = 1, idle: Idle = Idle.DRAIN, max_idle_wait_s: float = 30.0,
             stop: Event | None = None, deadline_s: float | None = None,
             on_progress: ProgressCallback | None = None,
             on_advance: AdvanceCallback | None = None,
             beside: frozenset[str] | None = None) -> DrainResult:
    """Claim and run jobs on `concurrency` threads until `idle` says to stop (see above).
    `on_progress` hears of every job's outcome; `on_advance` of its progress while it runs."""
    stop = stop or Event()
    deadline = None if deadline_s is None else time.monotonic() + deadline_s
    result = DrainResult()
    running: dict[Future[str], tuple[Job, float]] = {}

    def collect(timeout: float | None) -> None:
        if not running:
            return
        finished, _ = wait(running, timeout=timeout, return_when=FIRST_COMPLETED)
        for future in finished:
            job, started = running.pop(future)
            outcome = future.result()
            result.count(job, outcome)
            if on_progress is not None:
                on_progress(job, outcome, time.monotonic() - started)

    claimer = Claimer(app, worker_id, kinds)
    idle_since: float | None = None
    with ThreadPoolExecutor(concurrency, thread_name_prefix="sxp-job") as pool:
        try:
            while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
                if len(running) >= concurrency:
                    collect(None)
                    continue
                if running and beside is not None and _running_kind(running) not in beside:
                    collect(None)  # it runs alone
                    continue
                job = claimer.claim(None if beside is None or not running
                                    else _running_kind(running))
                if job is not None:
                    idle_since = None
                    future = pool.submit(run_claimed, app, job, on_advance)
                    running[future] = (job, time.monotonic())
                    continue
                if running:  # nothing to claim: wait for a running job (or a new one)
                    collect(IDLE_POLL_S)
                    continue
                idle_since = idle_since or time.monotonic()
                if _stop_when_idle(claimer, idle, max_idle_wait_s, idle_since):
                    break
                stop.wait(IDLE_POLL_S)
            while running:
                collect(None)
        finally:
            claimer.close()
    return result


def _running_kind(running: dict[Future[str], tuple[Job, float]]) -> str:
    """The kind of the running jobs (one kind, where `beside` is given)."""
    return next(iter(running.values()))[0].kind


def _stop_when_idle(claimer: Claimer, idle: Idle, max_wait_s: float, idle_since: float) -> bool:
    if idle is Idle.EXIT:
        return True
    if idle is Idle.POLL:
        return False
    waited = time.monotonic() - idle_since
    within = max(max_wait_s - waited, 0.0) if math.isfinite(max_wait_s) else None
    pending = claimer.pending(due_within_s=within)
    if pending == 0:
        return True
    if waited > max_wait_s:
        log.warning("drain stopped with jobs still waiting", extra={"pending": pending})
        return True
    return False


def drain(app: App, *, kinds: list[str] | None = None, max_idle_wait_s: float = 30.0,
          on_progress: ProgressCallback | None = None,
          on_advance: AdvanceCallback | None = None,
          concurrency: int | None = None,
          beside: frozenset[str] = RUN_BESIDE) -> DrainResult:
    """Run jobs in this process until none is pending (`sxp run`), on as many threads as the
    worker (`SXP_WORKER_CONCURRENCY`) unless told; jobs of the kinds in `beside` beside
    others of their kind, the rest alone: one enrichment batch's database work runs while
    another waits on its provider."""
    return run_jobs(app, worker_id=new_worker_id("sxp-run"), kinds=kinds, idle=Idle.DRAIN,
                    concurrency=concurrency or app.settings.worker_concurrency,
                    beside=beside,
                    max_idle_wait_s=max_idle_wait_s, on_progress=on_progress,
                    on_advance=on_advance)


def run_claimed(app: App, job: Job, on_advance: AdvanceCallback | None = None) -> str:
    """Run one claimed job; return 'done', 'todo' (will retry), 'dead', 'postponed' or 'lost'.

    The one place that turns a step's exception into a queue outcome (see `sxp.errors`)."""
    started = time.monotonic()
    try:
        with Heartbeat(app, job) as lease:
            set_lease_lost_event(lease.lost)
            if on_advance is not None:
                set_progress_report(lambda done, total, unit: on_advance(job, done, total, unit))
            try:
                handler_for(job.kind)(app, job)
            finally:
                set_lease_lost_event(None)
                set_progress_report(None)
    except LeaseLost as exc:
        log.warning("job lease lost; its work is dropped", extra={
            "job_id": job.id, "kind": job.kind, "worker": job.worker_id, "reason": str(exc)})
        return "lost"
    except JobPostponed as exc:
        with app.connect() as conn:
            kept = queue.postpone(conn, job, exc.reason_code, exc.retry_after_s)
        log.info("job postponed", extra={"job_id": job.id, "kind": job.kind,
                                         "reason_code": exc.reason_code,
                                         "retry_in_s": exc.retry_after_s})
        return "postponed" if kept else "lost"
    except SxpError as exc:
        return _record_failure(app, job, exc, retry_in_s=getattr(exc, "retry_after_s", None),
                               fatal=not exc.retryable)
    except Exception as exc:  # noqa: BLE001 - from outside sxp: retried, dead once spent
        return _record_failure(app, job, exc)
    log.info("job done", extra={"job_id": job.id, "kind": job.kind, "worker": job.worker_id,
                                "elapsed_s": round(time.monotonic() - started, 3)})
    return "done"


def _record_failure(app: App, job: Job, exc: Exception, *, retry_in_s: float | None = None,
                    fatal: bool = False) -> str:
    reason = f"{type(exc).__name__}: {exc}"
    with app.connect() as conn:
        state = queue.fail(conn, job, reason, retry_in_s=retry_in_s, fatal=fatal)
    log.warning("job failed", extra={"job_id": job.id, "kind": job.kind, "state": state,
                                     "error_type": type(exc).__name__,
                                     "attempt": job.attempts})
    return state
