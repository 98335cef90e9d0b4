"""A deliverer SIGKILLed mid-delivery and started again: every batch delivered, none lost; a
duplicate only as the at-least-once contract allows, with the same `webhook-id`; the stream
holds each batch once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import valkey

from sxp.bootstrap import App
from sxp.entrypoints.worker import run_worker
from sxp.pipeline import consumers as use
from sxp.pipeline import export as export_step

from .webhook_receiver import receiving

Seed = Callable[..., list[int]]
STREAM = "test:killed"


def _deliverer(app: App, valkey_url: str) -> subprocess.Popen[bytes]:
    s = app.settings
    env = {**os.environ, "DATABASE_URL": s.database_dsn or "",
           "SPACES_ENDPOINT": s.spaces_endpoint or "", "SPACES_BUCKET": s.spaces_bucket,
           "SPACES_KEY": "testing", "SPACES_SECRET": "testing", "SXP_HOME": str(s.home),
           "SXP_ENV": s.env, "SXP_LOG_LEVEL": "WARNING", "SXP_VALKEY_URL": valkey_url,
           "SXP_WEBHOOK_ALLOW_PRIVATE": "true", "SXP_WEBHOOK_RETRY_SCHEDULE_S": "[0.2]"}
    return subprocess.Popen(
        [sys.executable, "-m", "sxp.entrypoints.cli", "worker", "--kinds", "deliver",
         "--concurrency", "1"], env=env)


def test_killed_deliverer_loses_nothing_and_duplicates_keep_their_ids(
        handoff_app: App, seed: Seed, valkey_url: str) -> None:
    with receiving(default="sleep:0.4") as rx:
        rx.secrets.append(use.add_consumer(handoff_app, name="hooky", transport="webhook",
                                           settings={"url": rx.url}).signing_secret or "")
        use.add_consumer(handoff_app, name="streamer", transport="queue",
                         settings={"stream": STREAM})
        batches: dict[str, list[str]] = {"hooky": [], "streamer": []}
        for n in range(5):
            seed(1, n)
            for result in export_step.export(handoff_app):
                batches.setdefault(result.consumer, []).append(result.batch_id)
        proc = _deliverer(handoff_app, valkey_url)
        try:
            for _ in range(400):  # kill it while a webhook answer is still on its way
                if len(rx.received) >= 2 or proc.poll() is not None:
                    break
                time.sleep(0.02)
            assert len(rx.received) >= 2
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        with handoff_app.connect() as conn:  # the dead worker's lease runs out
            conn.execute("UPDATE queue.jobs SET lease_until = now() - interval '1 second'"
                         " WHERE state = 'doing'")
            conn.commit()
        rx.default = "ok"
        run_worker(handoff_app, concurrency=2, kinds=["deliver"], stop_when_idle=True)

    expected = {f"msg_{b}" for b in batches["hooky"]}
    ids = rx.ids()
    assert set(ids) == expected  # every batch, none lost
    assert len(ids) - len(expected) <= 1  # at most the attempt that was cut off, same id
    assert all(r.verified_by == [0] for r in rx.received)
    client = valkey.Valkey.from_url(valkey_url)
    entries = client.xrange(STREAM)
    client.close()
    assert [fields[b"batch_id"].decode() for _, fields in entries] == batches["streamer"]
    states = {d.batch_id: d.state for d in use.list_deliveries(handoff_app, limit=100)}
    assert set(states.values()) == {"delivered"} and len(states) == 15
