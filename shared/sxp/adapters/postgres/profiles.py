"""Tier 1 profile repository: bulk COPY into a temp staging table, then one set-based merge.

The merge keeps one row per (platform, handle): within the staged rows the most recent scrape
wins (ties: the later line); against Tier 1 a row is rewritten only when its content hash differs
and its scrape is not older. A newer scrape of unchanged content only moves `last_seen`; an
identical re-delivery writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson
import psycopg
from psycopg.copy import Copy, QueuedLibpqWriter

from sxp.domain.profiles import PROFILE_FIELDS

_TYPES = {
    "platform": "text", "handle": "text", "platform_user_id": "text", "display_name": "text",
    "bio": "text", "bio_url": "text", "location": "text", "avatar_url": "text",
    "is_verified": "boolean", "followers": "bigint", "following": "bigint", "posts": "bigint",
    "likes": "bigint", "account_created_at": "timestamptz", "scraped_at": "timestamptz",
    "bio_has_contact": "boolean", "extra": "jsonb", "content_hash": "text",
}
STAGE_TABLE = "pg_temp.stage_profiles"
_STAGE_COLUMNS = ("line_no", *PROFILE_FIELDS)
_VALUE_FIELDS = [f for f in PROFILE_FIELDS if f not in ("platform", "handle")]


@dataclass(frozen=True)
class MergeResult:
    staged: int
    distinct: int
    inserted: int
    updated: int

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated

    @property
    def unchanged(self) -> int:
        return self.distinct - self.loaded

    @property
    def deduped(self) -> int:
        return self.staged - self.distinct


def create_staging(conn: psycopg.Connection) -> None:
    """A temp table living until the end of the caller's transaction."""
    columns = ", ".join(f"{name} {_TYPES[name]}" for name in PROFILE_FIELDS)
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS stage_profiles (line_no integer, {columns})"
                 " ON COMMIT DROP")


class StagingWriter:
    """Rows go through COPY; a writer thread sends the buffers while the caller parses."""

    def __init__(self, copy: Copy) -> None:
        self._copy = copy
        self.count = 0

    def write(self, line: int, profile: dict[str, Any]) -> None:
        row: list[Any] = [line]
        for name in PROFILE_FIELDS:
            row.append(profile[name])
        row[-2] = orjson.dumps(profile["extra"]).decode()
        self._copy.write_row(row)
        self.count += 1


@contextmanager
def staging_copy(conn: psycopg.Connection) -> Iterator[StagingWriter]:
    create_staging(conn)
    cur = conn.cursor()
    statement = f"COPY {STAGE_TABLE} ({', '.join(_STAGE_COLUMNS)}) FROM STDIN"
    with cur.copy(statement, writer=QueuedLibpqWriter(cur)) as copy:
        copy.set_types(["integer", *("text" if name == "extra" else _TYPES[name]
                                     for name in PROFILE_FIELDS)])
        yield StagingWriter(copy)


def merge_staged(conn: psycopg.Connection, source_file_id: int) -> MergeResult:
    """Upsert the staged rows into Tier 1 in the caller's transaction."""
    changed = ("t.content_hash <> EXCLUDED.content_hash"
               " AND EXCLUDED.scraped_at >= t.scraped_at")
    sets = [f"{f} = CASE WHEN {changed} THEN EXCLUDED.{f} ELSE t.{f} END"
            for f in (*_VALUE_FIELDS, "source_file_id")]
    sets.append(f"updated_at = CASE WHEN {changed} THEN now() ELSE t.updated_at END")
    sets.append("first_seen = least(t.first_seen, EXCLUDED.first_seen)")
    sets.append("last_seen = greatest(t.last_seen, EXCLUDED.last_seen)")
    fields = ", ".join(PROFILE_FIELDS)
    sql = (
        f"WITH src AS (SELECT DISTINCT ON (platform, handle) {fields} FROM {STAGE_TABLE}"
        "   ORDER BY platform, handle, scraped_at DESC, line_no DESC),"
        " up AS ("
        f"  INSERT INTO social.raw_social_profiles AS t ({fields}, source_file_id,"
        "    first_seen, last_seen, updated_at)"
        f"  SELECT {fields}, %(sf)s, scraped_at, scraped_at, now() FROM src"
        "  ON CONFLICT (platform, handle) DO UPDATE SET " + ", ".join(sets) +
        f"  WHERE ({changed}) OR EXCLUDED.scraped_at > t.last_seen"
        "   OR EXCLUDED.scraped_at < t.first_seen"
        "  RETURNING (xmax = 0) AS inserted, (t.updated_at = now()) AS changed)"
        " SELECT (SELECT count(*) FROM src) AS distinct_rows,"
        f"  (SELECT count(*) FROM {STAGE_TABLE}) AS staged,"
        "  count(*) FILTER (WHERE inserted) AS inserted,"
        "  count(*) FILTER (WHERE NOT inserted AND changed) AS updated FROM up")
    row: dict[str, Any] | None = conn.execute(  # type: ignore[assignment]
        sql, {"sf": source_file_id}).fetchone()
    assert row is not None
    return MergeResult(staged=int(row["staged"]), distinct=int(row["distinct_rows"]),
                       inserted=int(row["inserted"]), updated=int(row["updated"]))
