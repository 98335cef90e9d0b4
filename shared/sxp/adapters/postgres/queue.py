"""The Postgres job queue: enqueue inside the caller's transaction, lease-based dequeue.

A job is leased to one worker for `lease_s` seconds and the worker heartbeats to extend it.
A job whose lease ran out (its worker died) is claimed again by the next `claim`; from then on
the first worker's `complete`, `fail` and `postpone` find the job no longer theirs: `complete`
raises `LeaseLost` (so the step's transaction rolls back), the other two report it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from sxp.errors import LeaseLost


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    worker_id: str = ""  # the worker holding the lease


def enqueue(conn: psycopg.Connection[Any], kind: str, payload: dict[str, Any], *,
            queueing_lock: str | None = None, max_attempts: int = 5,
            delay_s: float = 0) -> int | None:
    """Add a job in the caller's transaction. Returns None if a pending job holds the lock."""
    row = conn.execute(
        "INSERT INTO queue.jobs (kind, payload, queueing_lock, max_attempts, run_after)"
        " VALUES (%s, %s, %s, %s, now() + make_interval(secs => %s))"
        " ON CONFLICT (queueing_lock) WHERE state IN ('todo', 'doing') DO NOTHING RETURNING id",
        (kind, Jsonb(payload), queueing_lock, max_attempts, delay_s),
    ).fetchone()
    return None if row is None else int(_first(row))


def claim(conn: psycopg.Connection[Any], worker_id: str, kinds: list[str] | None = None,
          lease_s: int = 60, *, only_kind: str | None = None) -> Job | None:
    """Take the next ready job (or one whose lease expired) and lease it. Commits.

    With `only_kind`, only when the next job is of that kind: None, leasing nothing, when it is
    of another (it waits its turn rather than another of `only_kind` going first)."""
    with conn.transaction():
        row = conn.execute(
            "SELECT id, kind FROM queue.jobs"
            " WHERE ((state = 'todo' AND run_after <= now())"
            "        OR (state = 'doing' AND lease_until < now()))"
            "   AND (%(kinds)s::text[] IS NULL OR kind = ANY(%(kinds)s::text[]))"
            " ORDER BY run_after, id LIMIT 1 FOR UPDATE SKIP LOCKED",
            {"kinds": kinds},
        ).fetchone()
        if row is None or (only_kind is not None and _values(row)[1] != only_kind):
            return None
        job = conn.execute(
            "UPDATE queue.jobs SET state = 'doing', attempts = attempts + 1, locked_by = %s,"
            " lease_until = now() + make_interval(secs => %s), heartbeat_at = now(),"
            " updated_at = now() WHERE id = %s"
            " RETURNING id, kind, payload, attempts, max_attempts, locked_by",
            (worker_id, lease_s, _first(row)),
        ).fetchone()
    assert job is not None
    return Job(*_values(job))


def heartbeat(conn: psycopg.Connection[Any], job_id: int, worker_id: str,
              lease_s: int = 60) -> bool:
    """Extend the lease; False if the job is no longer ours."""
    with conn.transaction():
        cur = conn.execute(
            "UPDATE queue.jobs SET lease_until = now() + make_interval(secs => %s),"
            " heartbeat_at = now() WHERE id = %s AND locked_by = %s AND state = 'doing'",
            (lease_s, job_id, worker_id))
    return cur.rowcount == 1


def complete(conn: psycopg.Connection[Any], job: Job) -> None:
    """Mark done in the caller's transaction (the step's writes and this commit together).

    Raises `LeaseLost` when another worker took the job over: the caller's transaction then
    rolls back, so a step whose lease ran out leaves its results to the new holder."""
    cur = conn.execute(
        "UPDATE queue.jobs SET state = 'done', finished_at = now(), updated_at = now(),"
        " lease_until = NULL WHERE id = %s AND locked_by = %s AND state = 'doing'",
        (job.id, job.worker_id))
    if cur.rowcount != 1:
        raise LeaseLost(f"job {job.id} is no longer held by {job.worker_id}")


def fail(conn: psycopg.Connection[Any], job: Job, error: str, *, retry_in_s: float | None = None,
         fatal: bool = False) -> str:
    """Record a failure: back to todo with backoff, or dead once attempts are spent. Commits.

    Returns the job's new state, or 'lost' when the job is no longer this worker's."""
    dead = fatal or job.attempts >= job.max_attempts
    delay = retry_in_s if retry_in_s is not None else min(2 ** job.attempts, 300)
    state = "dead" if dead else "todo"
    with conn.transaction():
        cur = conn.execute(
            "UPDATE queue.jobs SET state = %s, last_error = %s, updated_at = now(),"
            " lease_until = NULL, locked_by = NULL,"
            " run_after = now() + make_interval(secs => %s),"
            " finished_at = CASE WHEN %s THEN now() END"
            " WHERE id = %s AND locked_by = %s AND state = 'doing'",
            (state, error[:2000], delay, dead, job.id, job.worker_id))
    return state if cur.rowcount == 1 else "lost"


def postpone(conn: psycopg.Connection[Any], job: Job, reason: str, delay_s: float) -> bool:
    """Put a job back without spending an attempt (it could not run yet). Commits.
    False when the job is no longer this worker's."""
    with conn.transaction():
        cur = conn.execute(
            "UPDATE queue.jobs SET state = 'todo', attempts = greatest(attempts - 1, 0),"
            " run_after = now() + make_interval(secs => %s), last_error = %s,"
            " locked_by = NULL, lease_until = NULL, updated_at = now()"
            " WHERE id = %s AND locked_by = %s AND state = 'doing'",
            (delay_s, reason[:2000], job.id, job.worker_id))
    return cur.rowcount == 1


def retry_dead(conn: psycopg.Connection[Any], job_id: int | None = None) -> int:
    """Put dead jobs (one, or all) back in the queue with a fresh attempt budget. Commits."""
    with conn.transaction():
        cur = conn.execute(
            "UPDATE queue.jobs SET state = 'todo', attempts = 0, run_after = now(),"
            " finished_at = NULL, updated_at = now()"
            " WHERE state = 'dead' AND (%(id)s::bigint IS NULL OR id = %(id)s::bigint)",
            {"id": job_id})
    return cur.rowcount


def pending_count(conn: psycopg.Connection[Any], kinds: list[str] | None = None, *,
                  due_within_s: float | None = None) -> int:
    """Jobs to run or running; with `due_within_s`, only those due within that time (a
    delivery retry scheduled hours ahead does not keep a drain waiting)."""
    row = conn.execute(
        "SELECT count(*) AS n FROM queue.jobs WHERE state IN ('todo', 'doing')"
        " AND (%(kinds)s::text[] IS NULL OR kind = ANY(%(kinds)s::text[]))"
        " AND (%(within)s::float8 IS NULL OR state = 'doing'"
        "      OR run_after <= now() + make_interval(secs => %(within)s::float8))",
        {"kinds": kinds, "within": due_within_s}).fetchone()
    return int(_first(row))


def counts_by_kind_and_state(conn: psycopg.Connection[Any]) -> dict[str, dict[str, int]]:
    jobs: dict[str, dict[str, int]] = {}
    for row in conn.execute("SELECT kind, state, count(*) AS n FROM queue.jobs GROUP BY 1, 2"):
        kind, state, n = _values(row)
        jobs.setdefault(str(kind), {})[str(state)] = int(n)
    return jobs


def dead_jobs(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT id, kind, attempts, last_error FROM queue.jobs"
                        " WHERE state = 'dead' ORDER BY id").fetchall()
    return [dict(zip(("id", "kind", "attempts", "last_error"), _values(r), strict=True))
            for r in rows]


def _first(row: Any) -> Any:
    return next(iter(row.values())) if isinstance(row, dict) else row[0]


def _values(row: Any) -> tuple[Any, ...]:
    return tuple(row.values()) if isinstance(row, dict) else tuple(row)


def holders_of_running_jobs(conn: psycopg.Connection[Any]) -> dict[int, str]:
    """Job id → the worker holding it, for every job being run."""
    rows = conn.execute("SELECT id, locked_by FROM queue.jobs"
                        " WHERE state = 'doing' AND locked_by IS NOT NULL").fetchall()
    return {int(v[0]): str(v[1]) for v in map(_values, rows)}


def end_leases(conn: psycopg.Connection[Any], job_ids: list[int]) -> int:
    """End the leases of running jobs (their holder is gone): the next claim takes them."""
    return conn.execute("UPDATE queue.jobs SET lease_until = now()"
                        " WHERE id = ANY(%s) AND state = 'doing' AND lease_until > now()",
                        (job_ids,)).rowcount


def job_state(conn: psycopg.Connection[Any], job_id: int) -> str | None:
    row = conn.execute("SELECT state FROM queue.jobs WHERE id = %s", (job_id,)).fetchone()
    return None if row is None else str(_first(row))


def drop_dead(conn: psycopg.Connection[Any], job_id: int) -> bool:
    """Remove a dead job for good (in the caller's transaction)."""
    return conn.execute("DELETE FROM queue.jobs WHERE id = %s AND state = 'dead'",
                        (job_id,)).rowcount == 1


def listed(conn: psycopg.Connection[Any], *, state: str | None = None,
           kind: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Jobs newest first, with their state, attempts, holder, lease and last error."""
    rows = conn.execute(
        "SELECT id, kind, state, attempts, max_attempts, locked_by, last_error,"
        "       extract(epoch FROM lease_until - now())::float8 AS lease_left_s,"
        "       created_at, finished_at"
        "  FROM queue.jobs"
        " WHERE (%(state)s::text IS NULL OR state = %(state)s)"
        "   AND (%(kind)s::text IS NULL OR kind = %(kind)s)"
        " ORDER BY id DESC LIMIT %(limit)s",
        {"state": state, "kind": kind, "limit": limit}).fetchall()
    return [dict(r) for r in rows]
