"""Jobs held by a process that died on this machine (a killed `sxp run` or worker) are given
back at once instead of when their lease runs out: a worker id names its host and process
(`runner.new_worker_id`), and a process that no longer exists holds nothing."""

from __future__ import annotations

import os
import socket

from sxp.adapters.postgres import queue
from sxp.bootstrap import App
from sxp.logs import get_logger

log = get_logger("leases")


def holder_is_gone(worker_id: str, *, host: str | None = None) -> bool:
    """Whether `worker_id` names a process of this host that is not running."""
    head, sep, rest = worker_id.rpartition("-")  # {prefix}-{host}-{pid}-{hex}
    prefix_host, _, pid = head.rpartition("-")
    if not sep or not (pid.isascii() and pid.isdigit()) or not rest:
        return False
    if not prefix_host.endswith(f"-{host or socket.gethostname()}"):
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def release_jobs_of_gone_holders(app: App) -> list[int]:
    """End the leases of jobs whose holder died on this host; the ids released."""
    with app.connect() as conn, conn.transaction():
        gone = [job_id for job_id, holder in queue.holders_of_running_jobs(conn).items()
                if holder_is_gone(holder)]
        if gone:
            queue.end_leases(conn, gone)
    if gone:
        log.info("leases of a dead process ended", extra={"jobs": gone})
    return gone
