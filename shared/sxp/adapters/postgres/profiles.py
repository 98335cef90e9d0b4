"""Tier 1 profile repository: rows arrive as COPY chunks; new keys are COPYed straight into Tier 1,
known ones staged in a temp table and merged set-based.

Rows come in chunks of distinct keys; while the caller parses chunk k+1, a database thread
writes chunk k — all on one connection, in the caller's one transaction, so Postgres and Python
work at the same time and nothing is visible before commit. One ingest merges at a time (an
advisory lock), so no key can appear in Tier 1 but through this ingest meanwhile.

Which keys Tier 1 holds is found out one of two ways:
- probed: one query asks Tier 1's unique index about the chunk's keys; the rows of keys it
  lacks are COPYed directly into it and the others merged through the staging table — only
  those the merge would change, when `TupleFields` lets the query compare content hashes and
  scrape times, so an unchanged re-delivery stages nothing;
- optimistic, while the file has met no key of an earlier file: the rows of keys this ingest
  has not written yet (a `WrittenKeys` filter says which) are COPYed into Tier 1 at once, in a
  savepoint, and only the rest is probed. Should Tier 1 hold one of them after all, the unique
  index refuses the COPY, the savepoint is rolled back and the chunk probed instead; the ingest
  then probes until a probed chunk again meets only keys it wrote itself. A new audience pool
  thus lands at nearly the speed of a plain COPY, and a re-delivery costs one refused COPY.
  At most SAVEPOINTS_PER_INGEST chunks go this way; the rest of a large file is probed.

The merge keeps one row per (platform, handle): within a chunk the writer keeps only the most
ranked row (`_rank`: a known scrape time above a receipt time, then the newer scrape, then
the larger content hash; last, the later line); against Tier 1 (and earlier chunks) a row is
rewritten only when it ranks higher. A newer scrape of unchanged
content only moves `last_seen` (an older one `first_seen`); an identical re-delivery writes
nothing.
"""

from __future__ import annotations

import queue
import threading
from array import array
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol

import psycopg
from psycopg.rows import tuple_row

from sxp.adapters.postgres.tier1_rows import COPY_HEADER, COPY_TRAILER, ROW_COLUMNS, StagedChunk
from sxp.domain.profiles import PROFILE_FIELDS

STAGE_TABLE = "pg_temp.stage_profiles"
KEYS_TABLE = "pg_temp.stage_keys"
MERGE_LOCK = 0x5358_5102  # held by an ingest transaction that merges into Tier 1, until it ends
# optimistic COPYs per ingest, each in a savepoint, i.e. a subtransaction: within the 64 that
# Postgres caches per transaction, so no snapshot (on the primary or a standby) overflows to
# pg_subtrans while the ingest runs; later chunks are probed
SAVEPOINTS_PER_INGEST = 48
_VALUE_FIELDS = [f for f in PROFILE_FIELDS if f not in ("platform", "handle")]
COPY_STAGE = f"COPY {STAGE_TABLE} ({', '.join(ROW_COLUMNS)}) FROM STDIN (FORMAT binary)"
COPY_TIER1 = (f"COPY social.raw_social_profiles ({', '.join(ROW_COLUMNS)})"
              " FROM STDIN (FORMAT binary)")
# the staging table has Tier 1's column types in `ROW_COLUMNS` order (binary COPY needs both)
_STAGE_DDL = (
    "CREATE TEMP TABLE IF NOT EXISTS stage_profiles (platform text, handle text,"
    " platform_user_id text, display_name text, bio text, bio_url text, location text,"
    " avatar_url text, is_verified boolean, followers bigint, following bigint, posts bigint,"
    " likes bigint, account_created_at timestamptz, scraped_at timestamptz,"
    " bio_has_contact boolean, extra jsonb, scraped_at_known boolean, content_hash text,"
    " source_file_id bigint,"
    " first_seen timestamptz, last_seen timestamptz) ON COMMIT DROP")


def _rank(row: str, known: str | None = None) -> str:
    """SQL: the order rows of one key are ranked in: a known scrape time above an unknown one
    (a receipt time), then the newer scrape, then the larger content hash (bytes order)."""
    return (f"({known or row + '.scraped_at_known'}, {row}.scraped_at,"
            f' {row}.content_hash COLLATE "C")')


def _rewrites(new: str, known: str | None = None) -> str:
    """SQL: the row `new` rewrites Tier 1's row `t`: it ranks higher. A total order: whatever
    the order files arrive in, the same row wins, and a re-delivery writes nothing."""
    return f"{_rank(new, known)} > {_rank('t')}"


def _changes(new: str, known: str | None = None) -> str:
    """SQL: the merge changes `t` for the row `new`: rewrites it, or (a known scrape time)
    moves its first/last seen. `known` stands for `new.scraped_at_known` where the row's flag
    is not at hand (the probe assumes true: it may only over-report)."""
    flag = known or f"{new}.scraped_at_known"
    return (f"({_rewrites(new, known)}) OR ({flag} AND ({new}.scraped_at > t.last_seen"
            f" OR {new}.scraped_at < t.first_seen))")


# Tier 1's row of one key, looked up by its unique index for each key of the outer side: a
# LATERAL subquery with LIMIT is not flattened into a join the planner could turn around. As
# a plain join, with statistics taken while Tier 1 was being refilled (an autoanalyze that saw
# its pages but none of the uncommitted rows: 0 rows estimated), the planner scanned all of
# Tier 1 and, for each of its rows, every key of the chunk — an ingest stalled on it.
_ONE_TIER1_ROW = (
    "SELECT t.source_file_id, t.scraped_at_known, t.scraped_at, t.content_hash, t.first_seen,"
    " t.last_seen FROM social.raw_social_profiles t"
    ' WHERE t.platform = {row}.platform COLLATE "C" AND t.handle = {row}.handle COLLATE "C"'
    " LIMIT 1")

# which of a chunk's keys Tier 1 holds (by position in the chunk), whether this file already
# wrote that row and whether the update below would change it (unknown without the rows'
# hashes and scrape times: then it might); the keys this file has not written are recorded for
# `finish` in the same statement
_PROBE = (
    "WITH k AS (SELECT platform, handle, content_hash, n, timestamptz '2000-01-01 00:00:00+00'"
    "   + scraped_us * interval '1 microsecond' AS scraped_at"
    "  FROM unnest(string_to_array(%(platforms)s, e'\\n'),"
    "   string_to_array(%(handles)s, e'\\n'), string_to_array(%(hashes)s::text, e'\\n'),"
    "   string_to_array(%(scraped)s::text, e'\\n')::bigint[])"
    "  WITH ORDINALITY AS u(platform, handle, content_hash, scraped_us, n)),"
    " found AS (SELECT k.n - 1 AS position, k.platform, k.handle,"
    "   t.source_file_id IS NOT DISTINCT FROM %(sf)s AS ours,"
    f"   coalesce({_changes('k', known='true')}, true) AS changes,"
    "   coalesce(k.content_hash <> t.content_hash, false) AS differs FROM k"
    f" CROSS JOIN LATERAL ({_ONE_TIER1_ROW.format(row='k')}) t),"
    f" recorded AS (INSERT INTO {KEYS_TABLE} SELECT platform, handle FROM found WHERE NOT ours)"
    " SELECT position, ours, changes, differs FROM found ORDER BY position")
_SCRAPED_AT, _CONTENT_HASH = ROW_COLUMNS.index("scraped_at"), ROW_COLUMNS.index("content_hash")

# positions of the chunk's keys on the suppression list: HMAC-SHA256 of 'handle:platform:handle'
# from the key's pads, as `sxp.domain.privacy.keyed_hash` computes it
_SUPPRESSED = (
    "SELECT u.n - 1 FROM unnest(string_to_array(%(platforms)s, e'\\n'),"
    "  string_to_array(%(handles)s, e'\\n')) WITH ORDINALITY AS u(platform, handle, n)"
    " JOIN social.suppressions s ON s.kind = 'handle' AND s.hmac = encode(sha256(%(opad)s"
    "  || sha256(%(ipad)s || convert_to('handle:' || u.platform || ':' || u.handle, 'UTF8'))),"
    "  'hex') ORDER BY 1")


# staged rows whose key, after the update, holds another file's different content: they lost
_STALE_IN_STAGE = (
    f"SELECT count(*) FROM {STAGE_TABLE} s"
    f" CROSS JOIN LATERAL ({_ONE_TIER1_ROW.format(row='s')}) t"
    " WHERE t.content_hash <> s.content_hash AND t.source_file_id IS DISTINCT FROM %(sf)s")


class TupleFields(Protocol):
    """Two fields of every binary COPY tuple of a chunk (sxp.native's tuple_fields)."""

    def __call__(self, rows: bytes, ends: array[int], int8_field: int, text_field: int, /
                 ) -> tuple[str, str]:
        """The int8 (or timestamptz) field as decimal text and the text field, newline-joined."""


class WrittenKeys(Protocol):
    """Remembers the keys of the chunks it was given (sxp.native's KeyFilter)."""

    def add(self, platforms: str, handles: str) -> list[int]:
        """Positions of the keys (newline-joined texts) that may have been given before — every
        one that was, and rarely one that was not; the others are remembered."""


@dataclass(frozen=True)
class MergeResult:
    staged: int
    distinct: int
    loaded: int
    stale: int = 0  # rows another file's higher ranked version of the key outranked
    suppressed: int = 0  # rows of suppressed handles: never written

    @property
    def unchanged(self) -> int:
        return self.distinct - self.loaded

    @property
    def deduped(self) -> int:
        return self.staged - self.distinct - self.suppressed


def _update_sql() -> str:
    changed = _rewrites("s")
    sets = [f"{f} = CASE WHEN {changed} THEN s.{f} ELSE t.{f} END" for f in _VALUE_FIELDS]
    sets.append(f"source_file_id = CASE WHEN {changed} THEN %(sf)s ELSE t.source_file_id END")
    sets.append(f"updated_at = CASE WHEN {changed} THEN now() ELSE t.updated_at END")
    # a receipt time (no scrape time) says nothing about when the profile was seen
    sets.append("first_seen = least(t.first_seen, CASE WHEN s.scraped_at_known"
                " THEN s.scraped_at END)")
    sets.append("last_seen = greatest(t.last_seen, CASE WHEN s.scraped_at_known"
                " THEN s.scraped_at END)")
    # every staged key is in Tier 1 (the probe found it, and the lock keeps it so); a row is
    # rewritten when it ranks higher, otherwise only its first/last seen move; an identical
    # re-delivery is not even locked. Each staged row finds its Tier 1 row by the unique index
    # (`_ONE_TIER1_ROW`, for the reason given there) and the update reaches it by its ctid.
    # RETURNING says which rows now carry this file's id, i.e. were written by it.
    return (
        "UPDATE social.raw_social_profiles t SET " + ", ".join(sets) +
        f" FROM (SELECT s.*, x.tid FROM {STAGE_TABLE} s CROSS JOIN LATERAL ("
        "  SELECT ctid AS tid FROM social.raw_social_profiles x"
        # byte comparison, as Tier 1's unique index (migration 013) is built
        '  WHERE x.platform = s.platform COLLATE "C" AND x.handle = s.handle COLLATE "C"'
        "  LIMIT 1) x) s"
        f" WHERE t.ctid = s.tid AND ({_changes('s')})"
        " RETURNING t.platform, t.handle, t.source_file_id = %(sf)s")


class ChunkedMerge:
    """Write chunks into Tier 1 on `conn` from a database thread; `finish()` returns the counts.

    Use inside the caller's transaction. `submit` blocks when two chunks are already waiting,
    which bounds memory to a few chunks whatever the file size.
    """

    def __init__(self, conn: psycopg.Connection[Any], source_file_id: int,
                 written: WrittenKeys | None = None,
                 tuple_fields: TupleFields | None = None,
                 suppress: tuple[bytes, bytes] | None = None) -> None:
        self._conn = conn
        self._source_file_id = source_file_id
        self._written = written  # without it every chunk is probed
        self._tuple_fields = tuple_fields  # without it every known row is staged and updated
        self._optimistic = written is not None
        self._savepoints_left = SAVEPOINTS_PER_INGEST
        self._sql = _update_sql()
        self._queue: queue.Queue[StagedChunk | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._inserted = 0  # rows COPYed straight in: keys new to Tier 1, distinct by then
        self._rewritten = 0  # known rows this file rewrote first
        self._stale = 0  # rows that lost to an earlier file's higher ranked row
        # the HMAC pads of the privacy key, when handles are suppressed: their rows are dropped
        self._suppress = suppress
        self.suppressed_keys: set[tuple[str, str]] = set()
        self._suppressed = 0
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
        # the probe, COPY and update assume nobody else adds keys: one ingest writes at a time
        self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (MERGE_LOCK,))
        # the probed keys and the staging table have no statistics: probe Tier 1's unique
        # index per key rather than hash a scan of the whole table (reset when done)
        self._conn.execute("SET LOCAL enable_hashjoin = off")
        self._conn.execute("SET LOCAL enable_mergejoin = off")
        self._thread.start()
        return self

    def submit(self, chunk: StagedChunk) -> None:
        self._raise_if_failed()
        while True:
            try:
                self._queue.put(chunk, timeout=0.5)
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
        """Counts once every chunk is written; `staged` is the number of valid rows written."""
        row: dict[str, Any] | None = self._conn.execute(
            f"SELECT count(*) AS known FROM (SELECT DISTINCT platform, handle FROM {KEYS_TABLE}) k"
        ).fetchone()
        assert row is not None
        return MergeResult(staged=staged, distinct=self._inserted + int(row["known"]),
                           loaded=self._inserted + self._rewritten, stale=self._stale,
                           suppressed=self._suppressed)

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            if self._error is not None:
                continue
            try:
                with self._conn.cursor(row_factory=tuple_row) as cur:
                    self._write(cur, chunk)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                self._error = exc

    def _write(self, cur: psycopg.Cursor[tuple[Any, ...]], chunk: StagedChunk) -> None:
        if self._suppress is not None:
            kept = self._without_suppressed(cur, chunk)
            if kept is None:
                return
            chunk = kept
        if self._written is None or not self._savepoints_left:
            self._write_probed(cur, chunk)
            return
        maybe_written = self._written.add(chunk.platforms, chunk.handles)
        if not self._optimistic:
            self._write_probed(cur, chunk)
            return
        unwritten, written = chunk.split(maybe_written)
        if unwritten:
            self._savepoints_left -= 1
            if not _copy_in_savepoint(cur, unwritten):
                # Tier 1 holds a key of an earlier file: probe it all (which ends the optimism)
                self._write_probed(cur, chunk)
                return
        self._inserted += chunk.count - len(maybe_written)
        if written is not None:
            self._write_probed(cur, written, whole_chunk=False)

    def _without_suppressed(self, cur: psycopg.Cursor[tuple[Any, ...]],
                            chunk: StagedChunk) -> StagedChunk | None:
        """The chunk without the rows of suppressed handles (None: nothing is left)."""
        assert self._suppress is not None
        ipad, opad = self._suppress
        found = cur.execute(_SUPPRESSED, {"platforms": chunk.platforms, "handles": chunk.handles,
                                          "ipad": ipad, "opad": opad}, prepare=False).fetchall()
        if not found:
            return chunk
        gone = {int(position) for (position,) in found}
        self._suppressed += len(gone)
        self.suppressed_keys |= chunk.keys_at(sorted(gone))
        left = [i for i in range(chunk.count) if i not in gone]
        return chunk.split(left)[1] if left else None

    def _write_probed(self, cur: psycopg.Cursor[tuple[Any, ...]], chunk: StagedChunk,
                      whole_chunk: bool = True) -> None:
        """New keys: COPY into Tier 1. Known keys: stage and update; the keys this file has not
        written yet are recorded, so `finish` counts each distinct key of the file once."""
        params = {"sf": self._source_file_id, "platforms": chunk.platforms,
                  "handles": chunk.handles, "scraped": None, "hashes": None}
        if self._tuple_fields is not None:
            params["scraped"], params["hashes"] = self._tuple_fields(
                chunk.rows, chunk.ends, _SCRAPED_AT, _CONTENT_HASH)
        # planned for each chunk (prepare=False): a plan cached while Tier 1 was small (a
        # first ingest) would keep scanning it whole once it has grown, chunk after chunk
        found = cur.execute(_PROBE, params, prepare=False).fetchall()
        met_earlier_file = not all(ours for _position, ours, _changes, _differs in found)
        if self._written is not None and (whole_chunk or met_earlier_file):
            # optimistic again once a whole chunk meets no key that an earlier file wrote
            self._optimistic = not met_earlier_file
        new_rows, known = chunk.split([position for position, *_flags in found])
        if new_rows:
            _copy(cur, COPY_TIER1, new_rows)
            self._inserted += chunk.count - len(found)
        if known is None:  # Tier 1 holds none of the keys
            return
        # other content that the probe already knows loses: stale (not staged)
        self._stale += sum(1 for _position, ours, changes, differs in found
                           if differs and not changes and not ours)
        changing = [i for i, (_position, _ours, changes, _differs) in enumerate(found)
                    if changes]
        if not changing:  # a re-delivery of what Tier 1 holds: nothing to stage
            return
        _unchanged, staged = known.split(changing)
        assert staged is not None
        cur.execute(f"TRUNCATE {STAGE_TABLE}")
        _copy(cur, COPY_STAGE, staged.rows)
        written = cur.execute(self._sql, {"sf": self._source_file_id}, prepare=False).fetchall()
        stale = cur.execute(_STALE_IN_STAGE, {"sf": self._source_file_id},
                            prepare=False).fetchone()
        self._stale += int(stale[0]) if stale else 0
        # a row this file wrote before was counted when it first came
        ours_before = known.keys_at([i for i, (_position, ours, *_flags) in enumerate(found)
                                     if ours])
        self._rewritten += sum(1 for platform, handle, mine in written
                               if mine and (platform, handle) not in ours_before)


def _copy_in_savepoint(cur: psycopg.Cursor[Any], rows: bytes) -> bool:
    """COPY rows into Tier 1 unless its unique index holds one of their keys: then nothing of
    them stays (False)."""
    cur.execute("SAVEPOINT sxp_unwritten_keys")
    try:
        _copy(cur, COPY_TIER1, rows)
    except psycopg.errors.UniqueViolation:
        cur.execute("ROLLBACK TO SAVEPOINT sxp_unwritten_keys")
        cur.execute("RELEASE SAVEPOINT sxp_unwritten_keys")
        return False
    cur.execute("RELEASE SAVEPOINT sxp_unwritten_keys")
    return True


def _copy(cur: psycopg.Cursor[Any], statement: str, rows: bytes) -> None:
    with cur.copy(statement) as copy:
        copy.write(COPY_HEADER)
        copy.write(rows)
        copy.write(COPY_TRAILER)
