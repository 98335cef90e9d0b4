from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from sxp.adapters.postgres import queue
from sxp.bootstrap import App, bootstrap
from sxp.config import Settings
from sxp.entrypoints.worker import run_worker
from sxp.sandbox import SandboxServer, start_sandbox

from ..pipeline.enrich_fixtures import make_batch, synthetic_people


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    server = start_sandbox("skiptrace", latency_s=0.05)
    yield server
    server.close()


@pytest.fixture
def worker_settings(settings: Settings, sandbox: SandboxServer) -> Settings:
    return settings.model_copy(update={"skiptrace_base_url": sandbox.base_url})


@pytest.fixture
def worker_app(worker_settings: Settings) -> Iterator[App]:
    app = bootstrap(worker_settings)
    yield app
    app.close()


def _enqueue_batches(app: App, n: int, size: int) -> None:
    with app.connect() as conn:
        for b in range(n):
            make_batch(conn, f"wb-{b}", synthetic_people(size))
            queue.enqueue(conn, "enrich", {"batch_id": f"wb-{b}"}, queueing_lock=f"enrich:wb-{b}")
        conn.commit()


def _ledger_matches_calls(app: App) -> tuple[int, int]:
    with app.connect() as conn:
        spend = conn.execute(
            "SELECT coalesce(sum(credits), 0) AS n FROM execution.credit_ledger"
            " WHERE entry = 'spend'"
        ).fetchone()["n"]
        calls = conn.execute(
            "SELECT coalesce(sum(credits), 0) AS n FROM contact.provider_calls"
        ).fetchone()["n"]
    return int(spend), int(calls)


def test_worker_processes_batches_concurrently_until_idle(
    worker_app: App, sandbox: SandboxServer
) -> None:
    _enqueue_batches(worker_app, 4, 30)
    processed = run_worker(worker_app, concurrency=3, kinds=["enrich"], stop_when_idle=True)
    assert processed == 4
    with worker_app.connect() as conn:
        states = [
            r["state"] for r in conn.execute("SELECT state FROM execution.enrichment_batches")
        ]
        audit = conn.execute("SELECT count(*) AS n FROM audit.audit_log").fetchone()["n"]
    assert states == ["done"] * 4 and audit == 4
    spend, calls = _ledger_matches_calls(worker_app)
    assert spend == calls == sandbox.credits_charged


def test_sigterm_stops_the_worker_gracefully(worker_app: App) -> None:
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    assert run_worker(worker_app, concurrency=2, kinds=["enrich"]) == 0
    timer.join()


def test_worker_killed_mid_batch_then_restarted_counts_credits_once(
    worker_app: App, worker_settings: Settings, sandbox: SandboxServer
) -> None:
    sandbox.latency_s = 0.4
    with worker_app.connect() as conn:
        make_batch(conn, "kill-1", synthetic_people(250))
        queue.enqueue(conn, "enrich", {"batch_id": "kill-1"}, queueing_lock="enrich:kill-1")
        conn.commit()
    env = {
        **os.environ,
        "DATABASE_URL": worker_settings.database_dsn or "",
        "SPACES_ENDPOINT": worker_settings.spaces_endpoint or "",
        "SPACES_BUCKET": worker_settings.spaces_bucket,
        "SPACES_KEY": "testing",
        "SPACES_SECRET": "testing",
        "SKIPTRACE_BASE_URL": sandbox.base_url,
        "SXP_HOME": str(worker_settings.home),
        "SXP_LOG_LEVEL": "WARNING",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from sxp.bootstrap import bootstrap\n"
            "from sxp.entrypoints.worker import run_worker\n"
            "run_worker(bootstrap(), concurrency=1, kinds=['enrich'])",
        ],
        env=env,
    )
    try:
        with worker_app.connect() as conn:
            for _ in range(300):  # wait until the first chunk's answer is stored
                n = conn.execute("SELECT count(*) AS n FROM contact.provider_calls").fetchone()["n"]
                conn.commit()
                if n >= 1 or proc.poll() is not None:
                    break
                time.sleep(0.05)
        assert n >= 1
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    with worker_app.connect() as conn:
        assert (
            conn.execute("SELECT state FROM execution.enrichment_batches").fetchone()["state"]
            == "running"
        )
        conn.execute("UPDATE queue.jobs SET lease_until = now() - interval '1 second'")  # expire
        conn.commit()
    sandbox.latency_s = 0.0
    assert run_worker(worker_app, concurrency=1, kinds=["enrich"], stop_when_idle=True) == 1

    # same people, uninterrupted, in a second batch: same outcome
    with worker_app.connect() as conn:
        make_batch(conn, "ref-1", [{**p, "city": p["city"]} for p in synthetic_people(250)])
        queue.enqueue(conn, "enrich", {"batch_id": "ref-1"}, queueing_lock="enrich:ref-1")
        conn.commit()
    run_worker(worker_app, concurrency=1, kinds=["enrich"], stop_when_idle=True)
    with worker_app.connect() as conn:
        rows = {
            r["id"]: r
            for r in conn.execute(
                "SELECT id, state, credits_spent, cards_enriched, cards_not_found"
                " FROM execution.enrichment_batches"
            )
        }
        calls = conn.execute(
            "SELECT batch_id, count(*) AS n, sum(credits) AS credits"
            " FROM contact.provider_calls GROUP BY batch_id"
        ).fetchall()
        ledger = conn.execute(
            "SELECT count(*) AS n FROM execution.credit_ledger WHERE batch_id = 'kill-1'"
        ).fetchone()["n"]
        audit = conn.execute(
            "SELECT count(*) AS n FROM audit.audit_log WHERE batch_id = 'kill-1'"
        ).fetchone()["n"]
    killed, ref = rows["kill-1"], rows["ref-1"]
    assert killed["state"] == ref["state"] == "done"
    for col in ("credits_spent", "cards_enriched", "cards_not_found"):
        assert killed[col] == ref[col]
    assert {c["batch_id"]: c["n"] for c in calls} == {"kill-1": 3, "ref-1": 3}
    assert ledger == 3 and audit == 1
    spend, paid = _ledger_matches_calls(worker_app)
    assert spend == paid
