"""The worker's periodic tasks on Postgres + S3: each slot runs once across instances."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from sxp.adapters.postgres import queue
from sxp.bootstrap import App
from sxp.config import Settings
from sxp.entrypoints.worker import run_worker
from sxp.pipeline.periodic import run_due

SLOT = datetime(2026, 12, 2, 10, 5, 1, tzinfo=UTC)


def _pending(app: App) -> dict[str, int]:
    with app.connect() as conn:
        rows = conn.execute("SELECT kind, count(*) AS n FROM queue.jobs"
                            " WHERE state IN ('todo', 'doing') GROUP BY kind").fetchall()
    return {r["kind"]: r["n"] for r in rows}


def test_each_slot_runs_on_one_instance_only(app: App) -> None:
    app.settings.periodic_tasks = {"scan": 300, "retention": 86400}
    app.store.put_bytes("inbox/platform=x/a.jsonl", b'{"username": "periodic_one"}\n')
    assert run_due(app, "worker-a", SLOT) == ["scan", "retention"]
    assert run_due(app, "worker-b", SLOT + timedelta(seconds=30)) == []  # same slots
    assert _pending(app) == {"ingest": 1, "retention": 1}
    # the next scan slot runs again (on whichever instance comes first); nothing new to queue
    assert run_due(app, "worker-b", SLOT + timedelta(seconds=300)) == ["scan"]
    assert _pending(app) == {"ingest": 1, "retention": 1}
    with app.connect() as conn:
        last = {r["task"]: r["last"] for r in conn.execute(
            "SELECT task, max(slot_start) AS last FROM queue.periodic_slots GROUP BY task")}
    assert last == {"scan": datetime(2026, 12, 2, 10, 10, tzinfo=UTC),
                    "retention": datetime(2026, 12, 2, tzinfo=UTC)}


def test_concurrent_instances_claim_a_slot_once(app: App) -> None:
    app.settings.periodic_tasks = {"retention": 86400}
    ran: list[list[str]] = []
    barrier = threading.Barrier(4)

    def tick(name: str) -> None:
        barrier.wait()
        ran.append(run_due(app, name, SLOT))

    threads = [threading.Thread(target=tick, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(ran) == [[], [], [], ["retention"]]


def test_export_is_queued_only_when_cards_are_ready(app: App) -> None:
    app.settings.periodic_tasks = {"export": 900}
    assert run_due(app, "w", SLOT) == ["export"]
    assert _pending(app) == {}


def test_a_failed_task_gives_its_slot_back(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    from sxp.pipeline import periodic as periodic_tasks

    app.settings.periodic_tasks = {"export": 900}

    def broken(_app: App) -> None:
        raise RuntimeError("bucket away")

    monkeypatch.setitem(periodic_tasks.TASK_RUNNERS, "export", broken)
    assert run_due(app, "w", SLOT) == []
    monkeypatch.undo()
    assert run_due(app, "w", SLOT) == ["export"]  # retried within the same slot


def test_worker_runs_its_periodic_tasks(app: App) -> None:
    app.settings.periodic_tasks = {"scan": 300}
    app.store.put_bytes("inbox/platform=x/b.jsonl", b'{"username": "periodic_two"}\n')
    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(app,),
                              kwargs={"concurrency": 1, "stop": stop})
    worker.start()
    try:
        deadline = datetime.now(UTC) + timedelta(seconds=60)
        while datetime.now(UTC) < deadline:
            with app.connect() as conn:
                done = conn.execute("SELECT count(*) AS n FROM queue.jobs WHERE kind = 'ingest'"
                                    " AND state = 'done'").fetchone()
            if done and done["n"]:
                break
            stop.wait(0.2)
    finally:
        stop.set()
        worker.join(timeout=60)
    with app.connect() as conn:
        assert queue.pending_count(conn, ["ingest"]) == 0
        profiles = conn.execute("SELECT count(*) AS n FROM social.raw_social_profiles")
        assert profiles.fetchone()["n"] == 1


def test_unknown_tasks_are_refused_by_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SXP_PERIODIC_TASKS", '{"scan": 300, "export": 900}')
    assert Settings().periodic_tasks == {"scan": 300, "export": 900}
    monkeypatch.setenv("SXP_PERIODIC_TASKS", '{"scann": 300}')
    with pytest.raises(ValidationError, match="unknown periodic task"):
        Settings()
