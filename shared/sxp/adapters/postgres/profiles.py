"""Tier 1 profile repository: bulk COPY into a temp staging table, set-based merges per chunk.

Rows are staged in chunks; while the caller parses chunk k+1, a database thread COPYs chunk k
into the staging table and merges it into Tier 1 — all on one connection, in the caller's one
transaction, so Postgres and Python work at the same time and nothing is visible before commit.

The merge keeps one row per (platform, handle): within a chunk the writer keeps only the most
recent scrape (ties: the later line); against Tier 1 (and earlier chunks) a row is rewritten
only when its content hash differs and its scrape is not older. A newer scrape of unchanged
content only moves `last_seen` (an older one `first_seen`); an identical re-delivery writes
nothing.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any

import psycopg

from sxp.domain.profiles import PROFILE_FIELDS

STAGE_TABLE = "pg_temp.stage_profiles"
_VALUE_FIELDS = [f for f in PROFILE_FIELDS if f not in ("platform", "handle")]
# Staged rows travel as `chunk, line, platform, handle, scraped_at, profile-JSON` in CSV
# mode with control-character quote and delimiter: the JSON needs no escaping (orjson escapes
# every control character) and handles are [a-z0-9_.] only.
COPY_STAGE = (f"COPY {STAGE_TABLE} (chunk, line_no, platform, handle, scraped_at, doc) FROM STDIN"
              " WITH (FORMAT csv, DELIMITER e'\\x02', QUOTE e'\\x01')")


@dataclass(frozen=True)
class MergeResult:
    staged: int
    distinct: int
    loaded: int

    @property
    def unchanged(self) -> int:
        return self.distinct - self.loaded

    @property
    def deduped(self) -> int:
        return self.staged - self.distinct


def stage_line(chunk: int, line: int, key: tuple[str, str], scraped_at: datetime,
               profile_json: bytes) -> bytes:
    """One COPY line for the staging table; `profile_json` is orjson output without newline."""
    return b"%d\x02%d\x02%s\x02%s\x02%s\x02%s\n" % (
        chunk, line, key[0].encode(), key[1].encode(), scraped_at.isoformat().encode(),
        profile_json)


def _merge_sql() -> str:
    changed = ("t.content_hash <> EXCLUDED.content_hash"
               " AND EXCLUDED.scraped_at >= t.scraped_at")
    sets = [f"{f} = CASE WHEN {changed} THEN EXCLUDED.{f} ELSE t.{f} END"
            for f in (*_VALUE_FIELDS, "source_file_id")]
    sets.append(f"updated_at = CASE WHEN {changed} THEN now() ELSE t.updated_at END")
    sets.append("first_seen = least(t.first_seen, EXCLUDED.first_seen)")
    sets.append("last_seen = greatest(t.last_seen, EXCLUDED.last_seen)")
    fields = ", ".join(PROFILE_FIELDS)
    typed = ", ".join(f"r.{f}" for f in PROFILE_FIELDS)
    return (
        # a chunk holds one row per key already (the writer kept the newest scrape)
        f"WITH src AS (SELECT {typed} FROM {STAGE_TABLE} s,"
        "   jsonb_populate_record(NULL::social.raw_social_profiles, s.doc) r"
        "   WHERE s.chunk = %(chunk)s)"
        f" INSERT INTO social.raw_social_profiles AS t ({fields}, source_file_id,"
        "    first_seen, last_seen, updated_at)"
        f"  SELECT {fields}, %(sf)s, scraped_at, scraped_at, now() FROM src"
        "  ON CONFLICT (platform, handle) DO UPDATE SET " + ", ".join(sets) +
        f"  WHERE ({changed}) OR EXCLUDED.scraped_at > t.last_seen"
        "   OR EXCLUDED.scraped_at < t.first_seen")


class ChunkedMerge:
    """Stage and merge chunks on `conn` from a database thread; `finish()` returns the counts.

    Use inside the caller's transaction. `submit` blocks when two chunks are already waiting,
    which bounds memory to a few chunks whatever the file size.
    """

    def __init__(self, conn: psycopg.Connection, source_file_id: int) -> None:
        self._conn = conn
        self._source_file_id = source_file_id
        self._sql = _merge_sql()
        self._queue: queue.Queue[tuple[int, bytes] | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="sxp-ingest-db", daemon=True)

    def __enter__(self) -> ChunkedMerge:
        # temp tables live in backend-local buffers (8 MB by default): give them room so the
        # staged chunks never spill to disk; allowed while the session has not used temp tables
        self._conn.execute("SET LOCAL temp_buffers = '256MB'")
        self._conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS stage_profiles (chunk integer, line_no integer,"
            " platform text, handle text, scraped_at timestamptz, doc jsonb) ON COMMIT DROP")
        # hash the final key count in memory; one fsync at commit suffices for a re-runnable step
        self._conn.execute("SET LOCAL work_mem = '256MB'")
        self._conn.execute("SET LOCAL synchronous_commit = off")
        self._thread.start()
        return self

    def submit(self, chunk: int, block: bytes) -> None:
        self._raise_if_failed()
        while True:
            try:
                self._queue.put((chunk, block), timeout=0.5)
                return
            except queue.Full:
                self._raise_if_failed()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._queue.put(None)
        self._thread.join()
        if exc is None:
            self._raise_if_failed()

    def finish(self, staged: int) -> MergeResult:
        """Counts once every chunk is merged; `staged` is the number of valid rows written."""
        row: dict[str, Any] | None = self._conn.execute(  # type: ignore[assignment]
            f"SELECT (SELECT count(*) FROM (SELECT DISTINCT platform, handle FROM {STAGE_TABLE}) k)"
            "   AS distinct_keys,"
            # rows this transaction inserted or rewrote carry updated_at = now() (indexed)
            " (SELECT count(*) FROM social.raw_social_profiles WHERE updated_at = now())"
            "   AS loaded").fetchone()
        assert row is not None
        return MergeResult(staged=staged, distinct=int(row["distinct_keys"]),
                           loaded=int(row["loaded"]))

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is not None:
                continue
            chunk, block = item
            try:
                with self._conn.cursor() as cur:
                    with cur.copy(COPY_STAGE) as copy:
                        copy.write(block)
                    cur.execute(self._sql,
                                {"chunk": chunk, "sf": self._source_file_id})
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                self._error = exc
