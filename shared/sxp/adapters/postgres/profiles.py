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

import orjson
import psycopg

from sxp.domain.profiles import PROFILE_FIELDS

STAGE_TABLE = "pg_temp.stage_profiles"
KEYS_TABLE = "pg_temp.stage_keys"
MERGE_LOCK = 0x5358_5102  # held by an ingest transaction that merges into Tier 1, until it ends
_VALUE_FIELDS = [f for f in PROFILE_FIELDS if f not in ("platform", "handle")]
_TEXT_FIELDS = ("platform_user_id", "display_name", "bio", "bio_url", "location", "avatar_url")
# Staged rows travel as typed columns (`PROFILE_FIELDS` order) in CSV mode with control-character
# quote and delimiter: text fields are quoted (a quote inside is doubled), NULL is an unquoted
# empty field, `extra` is orjson output (which escapes every control character).
COPY_STAGE = (f"COPY {STAGE_TABLE} ({', '.join(PROFILE_FIELDS)}) FROM STDIN"
              " WITH (FORMAT csv, DELIMITER e'\\x02', QUOTE e'\\x01')")
_STAGE_DDL = (
    "CREATE TEMP TABLE IF NOT EXISTS stage_profiles (platform text, handle text,"
    " platform_user_id text, display_name text, bio text, bio_url text, location text,"
    " avatar_url text, is_verified boolean, followers bigint, following bigint, posts bigint,"
    " likes bigint, account_created_at timestamptz, scraped_at timestamptz,"
    " bio_has_contact boolean, extra jsonb, content_hash text) ON COMMIT DROP")


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


_Q = "\x01"


def stage_line(profile: dict[str, Any]) -> bytes:
    """One COPY line (typed columns, `PROFILE_FIELDS` order) for the staging table."""
    p = profile
    a, b, c, d, e, f = (p["platform_user_id"], p["display_name"], p["bio"], p["bio_url"],
                        p["location"], p["avatar_url"])
    g, h, i, j = p["followers"], p["following"], p["posts"], p["likes"]
    created, scraped, extra = p["account_created_at"], p["scraped_at"], p["extra"]
    line = (f"{p['platform']}\x02{p['handle']}\x02"
            f"{'' if a is None else _Q + a + _Q}\x02"
            f"{'' if b is None else _Q + b + _Q}\x02"
            f"{'' if c is None else _Q + c + _Q}\x02"
            f"{'' if d is None else _Q + d + _Q}\x02"
            f"{'' if e is None else _Q + e + _Q}\x02"
            f"{'' if f is None else _Q + f + _Q}\x02"
            f"{'t' if p['is_verified'] else 'f'}\x02"
            f"{'' if g is None else g}\x02{'' if h is None else h}\x02"
            f"{'' if i is None else i}\x02{'' if j is None else j}\x02"
            f"{'' if created is None else _ISO.get(created) or _iso(created)}\x02"
            f"{_ISO.get(scraped) or _iso(scraped)}\x02"
            f"{'t' if p['bio_has_contact'] else 'f'}\x02"
            f"{orjson.dumps(extra).decode() if extra else '{}'}\x02{p['content_hash']}\n")
    quoted = 2 * ((a is not None) + (b is not None) + (c is not None) + (d is not None)
                  + (e is not None) + (f is not None))
    if line.count("\x01") != quoted:  # a quote character inside a text: double it
        line = _escaped_line(p)
    return line.encode("utf-8", "surrogatepass")


def _quoted(text: str | None) -> str:
    if text is None:
        return ""
    return "\x01" + text.replace("\x01", "\x01\x01") + "\x01"


def _escaped_line(p: dict[str, Any]) -> str:
    texts = [_quoted(p[k]) for k in _TEXT_FIELDS]
    counts = ["" if p[k] is None else str(p[k]) for k in ("followers", "following", "posts",
                                                           "likes")]
    created, extra = p["account_created_at"], p["extra"]
    return "\x02".join([
        p["platform"], p["handle"], *texts, "t" if p["is_verified"] else "f", *counts,
        "" if created is None else created.isoformat(), p["scraped_at"].isoformat(),
        "t" if p["bio_has_contact"] else "f", orjson.dumps(extra).decode() if extra else "{}",
        p["content_hash"]]) + "\n"


def _iso(moment: datetime) -> str:
    if len(_ISO) >= 50_000:
        _ISO.clear()
    text = _ISO[moment] = moment.isoformat()
    return text


_ISO: dict[datetime, str] = {}


def _merge_sql() -> str:
    changed = "t.content_hash <> s.content_hash AND s.scraped_at >= t.scraped_at"
    sets = [f"{f} = CASE WHEN {changed} THEN s.{f} ELSE t.{f} END" for f in _VALUE_FIELDS]
    sets.append(f"source_file_id = CASE WHEN {changed} THEN %(sf)s ELSE t.source_file_id END")
    sets.append(f"updated_at = CASE WHEN {changed} THEN now() ELSE t.updated_at END")
    sets.append("first_seen = least(t.first_seen, s.scraped_at)")
    sets.append("last_seen = greatest(t.last_seen, s.scraped_at)")
    fields = ", ".join(PROFILE_FIELDS)
    values = ", ".join(f"s.{f}" for f in PROFILE_FIELDS)
    # a chunk holds one row per key already (the writer kept the newest scrape). MERGE probes
    # the unique index once per row and inserts new keys without ON CONFLICT's speculative
    # insertion; rows it would not change are not even locked. Rows this file inserted or
    # rewrote carry its source_file_id (the "loaded" count).
    return (
        f"MERGE INTO social.raw_social_profiles t USING {STAGE_TABLE} s"
        # byte comparison, as Tier 1's unique index (migration 013) is built
        '  ON t.platform = s.platform COLLATE "C" AND t.handle = s.handle COLLATE "C"'
        f" WHEN MATCHED AND (({changed}) OR s.scraped_at > t.last_seen"
        "   OR s.scraped_at < t.first_seen) THEN UPDATE SET " + ", ".join(sets) +
        f" WHEN NOT MATCHED THEN INSERT ({fields}, source_file_id, first_seen, last_seen,"
        f"   updated_at) VALUES ({values}, %(sf)s, s.scraped_at, s.scraped_at, now())")


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
        self._conn.execute(_STAGE_DDL)
        self._conn.execute("CREATE TEMP TABLE IF NOT EXISTS stage_keys (platform text,"
                           " handle text) ON COMMIT DROP")
        # hash the final key count in memory; one fsync at commit suffices for a re-runnable step
        self._conn.execute("SET LOCAL work_mem = '256MB'")
        self._conn.execute("SET LOCAL synchronous_commit = off")
        # MERGE inserts new keys without conflict handling: one ingest merges at a time
        self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (MERGE_LOCK,))
        # the staging table has no statistics: make the merge probe Tier 1's unique index
        # rather than hash a scan of the whole table (reset when the merges are done)
        self._conn.execute("SET LOCAL enable_hashjoin = off")
        self._conn.execute("SET LOCAL enable_mergejoin = off")
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
            self._conn.execute("SET LOCAL enable_hashjoin = DEFAULT")
            self._conn.execute("SET LOCAL enable_mergejoin = DEFAULT")

    def finish(self, staged: int) -> MergeResult:
        """Counts once every chunk is merged; `staged` is the number of valid rows written."""
        row: dict[str, Any] | None = self._conn.execute(  # type: ignore[assignment]
            f"SELECT (SELECT count(*) FROM (SELECT DISTINCT platform, handle FROM {KEYS_TABLE}) k)"
            "   AS distinct_keys,"
            " (SELECT count(*) FROM social.raw_social_profiles WHERE source_file_id = %s)"
            "   AS loaded", (self._source_file_id,)).fetchone()
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
            _chunk, block = item
            try:
                with self._conn.cursor() as cur:
                    cur.execute(f"TRUNCATE {STAGE_TABLE}")
                    with cur.copy(COPY_STAGE) as copy:
                        copy.write(block)
                    cur.execute(self._sql, {"sf": self._source_file_id})
                    cur.execute(f"INSERT INTO {KEYS_TABLE} SELECT platform, handle"
                                f" FROM {STAGE_TABLE}")
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                self._error = exc
