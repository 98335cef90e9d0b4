"""A job held by a process that died on this machine is taken over at once by the next run,
not when its lease runs out."""

from __future__ import annotations

import os
import socket
import time

from sxp.adapters.postgres import queue
from sxp.bootstrap import App
from sxp.pipeline.leases import holder_is_gone, release_jobs_of_gone_holders
from sxp.pipeline.run import run_pipeline

HOST = socket.gethostname()


def _dead_pid() -> int:
    pid = 4_000_000
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        pid += 1


def test_holder_ids_name_a_host_and_a_process() -> None:
    dead = _dead_pid()
    assert holder_is_gone(f"sxp-run-{HOST}-{dead}-abc123")
    assert not holder_is_gone(f"sxp-run-{HOST}-{os.getpid()}-abc123")  # this process lives
    assert not holder_is_gone(f"sxp-run-elsewhere-{dead}-abc123", host=HOST)  # another host
    assert not holder_is_gone("garbage")


def test_a_killed_runs_job_is_taken_over_at_once(app: App) -> None:
    with app.connect() as conn:
        job_id = queue.enqueue(conn, "export", {})
        conn.execute("UPDATE queue.jobs SET state = 'doing', attempts = 1, locked_by = %s,"
                     " lease_until = now() + interval '10 minutes' WHERE id = %s",
                     (f"sxp-run-{HOST}-{_dead_pid()}-dead00", job_id))
        live = queue.enqueue(conn, "export", {"consumer": "someone"})
        conn.execute("UPDATE queue.jobs SET state = 'doing', locked_by = %s,"
                     " lease_until = now() + interval '10 minutes' WHERE id = %s",
                     (f"sxp-worker-{HOST}-{os.getpid()}-live00", live))
        conn.commit()
    started = time.monotonic()
    result = run_pipeline(app, max_idle_wait_s=1)
    assert result.released_jobs == [job_id]  # the live holder's job is left alone
    assert time.monotonic() - started < 20
    with app.connect() as conn:
        assert queue.job_state(conn, job_id) == "done"
        assert queue.job_state(conn, live) == "doing"
    assert release_jobs_of_gone_holders(app) == []
