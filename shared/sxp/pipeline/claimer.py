"""The job loop's two connections to the queue: the claimer's, reopened when the database goes
away for a while, and each running job's heartbeat, which keeps its lease alive."""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any, cast

import psycopg

from sxp.adapters.postgres import queue
from sxp.adapters.postgres.queue import Job
from sxp.bootstrap import App
from sxp.logs import get_logger

log = get_logger("runner")
RECONNECT_S = 2.0


class Claimer:
    def __init__(self, app: App, worker_id: str, kinds: list[str] | None) -> None:
        self.app, self.worker_id, self.kinds = app, worker_id, kinds
        self._conn: psycopg.Connection[Any] | None = None

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = cast("psycopg.Connection[Any]", self.app.connect())
        return self._conn

    def claim(self, only_kind: str | None = None) -> Job | None:
        try:
            return queue.claim(self._connection(), self.worker_id, self.kinds,
                               self.app.settings.job_lease_s, only_kind=only_kind)
        except psycopg.OperationalError:
            log.warning("queue unreachable; retrying", extra={"worker": self.worker_id})
            self.close()
            time.sleep(RECONNECT_S)
            return None

    def pending(self, due_within_s: float | None = None) -> int:
        """Jobs still to run, or only those due within `due_within_s` (-1 when the queue
        cannot be reached)."""
        try:
            conn = self._connection()
            count = queue.pending_count(conn, self.kinds, due_within_s=due_within_s)
            conn.commit()
            return count
        except psycopg.OperationalError:
            self.close()
            return -1

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class Heartbeat:
    """Extends a running job's lease every third of it on a connection of its own.

    A failed beat (the database away) is tried again until the lease would have run out;
    then, or as soon as the queue says another worker holds the job, `lost` is set."""

    def __init__(self, app: App, job: Job) -> None:
        self.app, self.job = app, job
        self.lease_s = app.settings.job_lease_s
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{job.id}",
                                        daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None
                 ) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        held_until = time.monotonic() + self.lease_s
        conn: psycopg.Connection[Any] | None = None
        try:
            while not self._stop.wait(self.lease_s / 3):
                try:
                    if conn is None or conn.closed:
                        conn = cast("psycopg.Connection[Any]", self.app.connect())
                    if not queue.heartbeat(conn, self.job.id, self.job.worker_id, self.lease_s):
                        return self._lose("another worker holds the job")
                    held_until = time.monotonic() + self.lease_s
                except Exception as exc:  # noqa: BLE001 - a failed beat is tried again
                    log.warning("heartbeat failed", extra={"job_id": self.job.id,
                                                           "error_type": type(exc).__name__})
                    if conn is not None:
                        conn.close()
                    conn = None
                    if time.monotonic() >= held_until:
                        return self._lose("the lease ran out while the queue was unreachable")
        finally:
            if conn is not None:
                conn.close()

    def _lose(self, why: str) -> None:
        log.warning("job lease lost", extra={"job_id": self.job.id, "reason": why})
        self.lost.set()
