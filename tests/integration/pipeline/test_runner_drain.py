from __future__ import annotations

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
