from __future__ import annotations

from sxp.adapters.postgres import queue
from sxp.bootstrap import App


def test_enqueue_respects_queueing_lock_until_done(app: App) -> None:
    with app.connect() as conn:
        first = queue.enqueue(conn, "gate", {}, queueing_lock="gate")
        assert first is not None
        assert queue.enqueue(conn, "gate", {}, queueing_lock="gate") is None
        conn.commit()
        job = queue.claim(conn, "w1", ["gate"])
        assert job is not None and job.id == first
        queue.complete(conn, job)
        conn.commit()
        assert queue.enqueue(conn, "gate", {}, queueing_lock="gate") is not None


def test_claim_skips_locked_and_reclaims_expired_lease(app: App) -> None:
    with app.connect() as a, app.connect() as b:
        queue.enqueue(a, "export", {"n": 1})
        a.commit()
        job = queue.claim(a, "worker-a", lease_s=60)
        assert job is not None and job.attempts == 1
        assert queue.claim(b, "worker-b") is None
        # worker-a dies: its lease runs out
        a.execute("UPDATE queue.jobs SET lease_until = now() - interval '1 second'")
        a.commit()
        again = queue.claim(b, "worker-b")
        assert again is not None and again.id == job.id and again.attempts == 2
        assert not queue.heartbeat(a, job.id, "worker-a")
        assert queue.heartbeat(b, job.id, "worker-b")


def test_failures_back_off_then_go_dead_and_can_be_retried(app: App) -> None:
    with app.connect() as conn:
        queue.enqueue(conn, "ingest", {"source_file_id": 1}, max_attempts=2)
        conn.commit()
        job = queue.claim(conn, "w")
        assert job is not None
        assert queue.fail(conn, job, "boom", retry_in_s=0) == "todo"
        job = queue.claim(conn, "w")
        assert job is not None
        assert queue.fail(conn, job, "boom again") == "dead"
        assert queue.claim(conn, "w") is None
        assert queue.pending_count(conn) == 0
        assert queue.retry_dead(conn) == 1
        assert queue.pending_count(conn) == 1
