from __future__ import annotations

import threading

import pytest

from sxp.adapters.postgres import queue
from sxp.adapters.postgres.queue import Job
from sxp.bootstrap import App
from sxp.errors import ProviderFatal
from sxp.pipeline import jobs, runner

CALLS: list[int] = []


def succeed(app: App, job: Job) -> None:
    CALLS.append(job.id)
    with app.connect() as conn:
        if job.payload.get("chain"):
            queue.enqueue(conn, "test_ok", {})
        queue.complete(conn, job)
        conn.commit()


def fatal(app: App, job: Job) -> None:
    raise ProviderFatal("provider said 401", status=401)


@pytest.fixture(autouse=True)
def _test_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    CALLS.clear()
    monkeypatch.setitem(jobs.JOB_KINDS, "test_ok", f"{__name__}:succeed")
    monkeypatch.setitem(jobs.JOB_KINDS, "test_fatal", f"{__name__}:fatal")


def test_drain_runs_chained_jobs_until_nothing_is_left(app: App) -> None:
    with app.connect() as conn:
        queue.enqueue(conn, "test_ok", {"chain": True})
        conn.commit()
    seen: list[str] = []
    result = runner.drain(app, on_progress=lambda job, outcome, _s: seen.append(outcome))
    assert result.done == 2 and seen == ["done", "done"]
    assert len(CALLS) == 2


def test_fatal_error_goes_dead_with_reason(app: App) -> None:
    with app.connect() as conn:
        queue.enqueue(conn, "test_fatal", {})
        conn.commit()
    result = runner.drain(app)
    assert result.dead == 1
    with app.connect() as conn:
        row = conn.execute("SELECT state, last_error FROM queue.jobs").fetchone()
    assert row["state"] == "dead" and "ProviderFatal" in row["last_error"]


class _Overlap:
    """What ran beside what: each job's kind as it started, and the kinds running then."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: list[str] = []
        self.starts: list[tuple[str, list[str]]] = []
        self.second_started = threading.Event()

    def run(self, app: App, job: Job) -> None:
        with self.lock:
            self.starts.append((job.kind, list(self.running)))
            self.running.append(job.kind)
            firsts = sum(kind == "test_a" for kind, _ in self.starts)
        if job.payload.get("waits"):  # the first: gives the second that long to start beside it
            self.second_started.wait(float(job.payload["waits"]))
        elif firsts == 2:
            self.second_started.set()
        with app.connect() as conn:
            queue.complete(conn, job)
            conn.commit()
        with self.lock:
            self.running.remove(job.kind)


OVERLAP = _Overlap()


def run_overlapping(app: App, job: Job) -> None:
    OVERLAP.run(app, job)


def enqueue_overlapping(app: App, monkeypatch: pytest.MonkeyPatch,
                        jobs_in_order: list[tuple[str, dict[str, int]]]) -> None:
    """A fresh record of what ran beside what, and these jobs queued (kinds test_a, test_b)."""
    global OVERLAP
    OVERLAP = _Overlap()
    for kind in ("test_a", "test_b"):
        monkeypatch.setitem(jobs.JOB_KINDS, kind, f"{__name__}:run_overlapping")
    with app.connect() as conn:
        for kind, payload in jobs_in_order:
            queue.enqueue(conn, kind, payload)
        conn.commit()


def test_drain_runs_a_job_beside_those_of_its_kind_only_and_in_queue_order(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    enqueue_overlapping(app, monkeypatch, [("test_a", {"waits": 10}), ("test_a", {}),
                                           ("test_b", {}), ("test_a", {})])
    result = runner.drain(app, concurrency=2, beside=frozenset({"test_a"}))
    assert result.done == 4
    # the two first test_a together; test_b alone, and the last test_a after it (queue order)
    assert OVERLAP.starts == [("test_a", []), ("test_a", ["test_a"]), ("test_b", []),
                              ("test_a", [])]


def test_drain_runs_other_kinds_alone(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """`sxp run`'s own rule: only enrichment batches beside each other."""
    enqueue_overlapping(app, monkeypatch, [("test_a", {"waits": 1}), ("test_a", {}),
                                           ("test_b", {})])
    assert "enrich" in runner.RUN_BESIDE and "test_a" not in runner.RUN_BESIDE
    result = runner.drain(app, concurrency=2)
    assert result.done == 3
    assert OVERLAP.starts == [("test_a", []), ("test_a", []), ("test_b", [])]


def test_the_worker_runs_whatever_is_next_beside_a_running_job(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    enqueue_overlapping(app, monkeypatch, [("test_a", {"waits": 10}), ("test_b", {}),
                                           ("test_a", {})])
    result = runner.run_jobs(app, worker_id="w-any", concurrency=2, idle=runner.Idle.DRAIN)
    assert result.done == 3
    assert OVERLAP.starts[:2] == [("test_a", []), ("test_b", ["test_a"])]
