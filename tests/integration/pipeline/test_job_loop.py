"""The one job loop on real Postgres: lease checked on completion, a lost lease stops the
step's work, retryable and fatal errors split by the exception hierarchy (not by its type name).
"""

from __future__ import annotations

import threading
import time

import pytest

from sxp.adapters.postgres import queue
from sxp.adapters.postgres.queue import Job
from sxp.bootstrap import App
from sxp.errors import LeaseLost, StoreError
from sxp.pipeline import jobs, runner
from sxp.pipeline.jobs import EnrichPayload, check_lease, payload_of

PROGRESS: list[str] = []
STARTED = threading.Event()


def writes_then_completes(app: App, job: Job) -> None:
    """Writes a row and completes in one transaction, after its lease was taken over."""
    with app.connect() as conn, conn.transaction():
        conn.execute("CREATE TABLE IF NOT EXISTS public.step_writes (job_id bigint)")
        conn.execute("INSERT INTO public.step_writes VALUES (%s)", (job.id,))
        with app.connect() as other:  # meanwhile another worker takes the job over
            _steal(other, job)
            other.commit()
        queue.complete(conn, job)


def loops_checking_the_lease(app: App, job: Job) -> None:
    STARTED.set()
    for step in range(200):
        check_lease()
        PROGRESS.append(f"chunk {step}")
        time.sleep(0.05)


def raises_key_error(app: App, job: Job) -> None:
    raise KeyError("a bug in a step, not a verdict on the job")


def raises_store_error(app: App, job: Job) -> None:
    raise StoreError("Spaces answered 503")


def bad_payload(app: App, job: Job) -> None:
    payload_of(job, EnrichPayload)


def _steal(conn: object, job: Job) -> None:
    assert hasattr(conn, "execute")
    conn.execute("UPDATE queue.jobs SET locked_by = 'another-worker' WHERE id = %s", (job.id,))


@pytest.fixture(autouse=True)
def _test_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    PROGRESS.clear()
    STARTED.clear()
    for kind in ("writes_then_completes", "loops_checking_the_lease", "raises_key_error",
                 "raises_store_error", "bad_payload"):
        monkeypatch.setitem(jobs.JOB_KINDS, kind, f"{__name__}:{kind}")


def _enqueue(app: App, kind: str, payload: dict[str, object] | None = None,
             max_attempts: int = 5) -> int:
    with app.connect() as conn:
        job_id = queue.enqueue(conn, kind, payload or {}, max_attempts=max_attempts)
        conn.commit()
    assert job_id is not None
    return job_id


def _job_row(app: App, job_id: int) -> dict[str, object]:
    with app.connect() as conn:
        row = conn.execute("SELECT state, attempts, locked_by, last_error FROM queue.jobs"
                           " WHERE id = %s", (job_id,)).fetchone()
    assert row is not None
    return dict(row)


def test_complete_refuses_a_job_another_worker_holds_and_the_steps_writes_roll_back(
        app: App) -> None:
    job_id = _enqueue(app, "writes_then_completes")
    result = runner.drain(app, max_idle_wait_s=0)
    assert result.lost == 1 and result.done == 0
    row = _job_row(app, job_id)
    assert (row["state"], row["locked_by"]) == ("doing", "another-worker")
    with app.connect() as conn:
        exists = conn.execute("SELECT to_regclass('public.step_writes') AS t").fetchone()
    assert exists is not None and exists["t"] is None  # the whole transaction rolled back


def test_complete_fail_and_postpone_check_the_holder(app: App) -> None:
    _enqueue(app, "writes_then_completes")
    with app.connect() as conn:
        job = queue.claim(conn, "worker-a")
        assert job is not None and job.worker_id == "worker-a"
        stolen = Job(job.id, job.kind, job.payload, job.attempts, job.max_attempts, "worker-b")
        with pytest.raises(LeaseLost), conn.transaction():
            queue.complete(conn, stolen)
        assert queue.fail(conn, stolen, "boom") == "lost"
        assert not queue.postpone(conn, stolen, "wait", 1)
        with conn.transaction():
            queue.complete(conn, job)
    assert _job_row(app, job.id)["state"] == "done"


def test_a_lost_lease_stops_the_steps_work(app: App) -> None:
    app.settings.job_lease_s = 6  # heartbeat every 2 s
    job_id = _enqueue(app, "loops_checking_the_lease")
    outcome: list[str] = []
    loop = threading.Thread(target=lambda: outcome.append(
        runner.run_claimed(app, _claim(app))))
    loop.start()
    assert STARTED.wait(10)
    with app.connect() as conn:  # another worker takes the job over
        conn.execute("UPDATE queue.jobs SET locked_by = 'another-worker' WHERE id = %s",
                     (job_id,))
        conn.commit()
    loop.join(timeout=20)
    assert not loop.is_alive() and outcome == ["lost"]
    assert 0 < len(PROGRESS) < 200  # stopped at its next lease check, well before the end
    assert _job_row(app, job_id)["locked_by"] == "another-worker"  # nothing written for it


def test_a_heartbeat_that_cannot_reach_the_queue_loses_the_lease_when_it_runs_out(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    app.settings.job_lease_s = 6
    job = Job(1, "loops_checking_the_lease", {}, 1, 5, "w")

    def unreachable(*_args: object, **_kwargs: object) -> bool:
        raise OSError("connection refused")

    monkeypatch.setattr(queue, "heartbeat", unreachable)
    from sxp.pipeline.claimer import Heartbeat

    started = time.monotonic()
    with Heartbeat(app, job) as beat:
        assert beat.lost.wait(15)
    assert time.monotonic() - started >= 5.5  # not before the lease would have run out


def test_an_error_from_outside_sxp_is_retried_not_dead(app: App) -> None:
    job_id = _enqueue(app, "raises_key_error", max_attempts=3)
    runner.drain(app, max_idle_wait_s=0)
    row = _job_row(app, job_id)
    assert row["state"] == "todo" and "KeyError" in str(row["last_error"])


def test_a_retryable_sxp_error_is_retried(app: App) -> None:
    job_id = _enqueue(app, "raises_store_error")
    runner.drain(app, max_idle_wait_s=0)
    assert _job_row(app, job_id)["state"] == "todo"


def test_a_bad_payload_and_an_unknown_kind_are_dead_at_once_with_their_reason(
        app: App) -> None:
    bad = _enqueue(app, "bad_payload", {"batch": 7})
    unknown = _enqueue(app, "no_such_step")
    result = runner.drain(app, max_idle_wait_s=0)
    assert result.dead == 2
    bad_row, unknown_row = _job_row(app, bad), _job_row(app, unknown)
    assert bad_row["state"] == "dead" and bad_row["attempts"] == 1
    assert "JobPayloadInvalid" in str(bad_row["last_error"])
    assert "batch_id" in str(bad_row["last_error"])
    assert unknown_row["state"] == "dead" and "UnknownJobKind" in str(unknown_row["last_error"])


def _claim(app: App) -> Job:
    with app.connect() as conn:
        job = queue.claim(conn, "worker-a", lease_s=app.settings.job_lease_s)
    assert job is not None
    return job
