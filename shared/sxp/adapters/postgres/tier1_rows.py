"""Tier 1 rows in PostgreSQL's binary COPY format, encoded where the rows are parsed.

A chunk carries the rows of distinct (platform, handle) keys as one buffer of binary COPY
tuples (`ROW_COLUMNS` order) with the offset where each ends, plus the keys as two
newline-joined texts (normalized handles and platform names hold no newline). Binary rows cost
Postgres no text parsing and are built by psycopg's C row encoder, the same one
`Copy.write_row` uses, here called ahead of the COPY so parser processes can do it. A new
key's row is complete as it stands: first_seen = last_seen = its scrape, source_file_id its
file.
"""

from __future__ import annotations

import operator
from array import array
from dataclasses import dataclass
from typing import Any

import orjson
import psycopg
from psycopg import pq
from psycopg._copy_base import format_row_binary  # the C encoder behind Copy.write_row
from psycopg.adapt import AdaptersMap, Transformer
from psycopg.types.json import set_json_dumps

from sxp.domain.profiles import PROFILE_FIELDS

ROW_COLUMNS = (*PROFILE_FIELDS, "source_file_id", "first_seen", "last_seen")
_TYPES = {"is_verified": "bool", "bio_has_contact": "bool", "followers": "int8",
          "following": "int8", "posts": "int8", "likes": "int8", "source_file_id": "int8",
          "account_created_at": "timestamptz", "scraped_at": "timestamptz",
          "first_seen": "timestamptz", "last_seen": "timestamptz", "extra": "jsonb"}
COLUMN_TYPES = tuple(_TYPES.get(column, "text") for column in ROW_COLUMNS)
# the binary COPY stream: signature, flags and header extension length, tuples, trailer
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
COPY_TRAILER = b"\xff\xff"


@dataclass(frozen=True)
class StagedChunk:
    """Binary COPY tuples, one per distinct key, the offset each ends at, and the keys."""

    rows: bytes
    ends: array[int]
    platforms: str
    handles: str

    @property
    def count(self) -> int:
        return len(self.ends)

    def split(self, positions: list[int]) -> tuple[bytes, StagedChunk | None]:
        """The rows of the keys not at `positions` (ascending), and those at them as a chunk of
        their own (None when there are none). Runs of neighbouring positions are sliced whole."""
        if not positions:
            return self.rows, None
        if len(positions) == self.count:
            return b"", self
        rows, ends = self.rows, self.ends
        others: list[bytes] = []
        picked: list[bytes] = []
        picked_ends = array("q")
        after = size = 0
        for first, last in _runs(positions):
            start = ends[first - 1] if first else 0
            others.append(rows[after:start])
            picked.append(rows[start:ends[last]])
            shift = start - size
            picked_ends.extend([end - shift for end in ends[first:last + 1]])
            size += ends[last] - start
            after = ends[last]
        others.append(rows[after:])
        platforms, handles = self.platforms.split("\n"), self.handles.split("\n")
        return b"".join(others), StagedChunk(
            b"".join(picked), picked_ends, "\n".join([platforms[p] for p in positions]),
            "\n".join([handles[p] for p in positions]))

    def keys_at(self, positions: list[int]) -> set[tuple[str, str]]:
        """The (platform, handle) keys at `positions`."""
        if not positions:
            return set()
        platforms, handles = self.platforms.split("\n"), self.handles.split("\n")
        return {(platforms[p], handles[p]) for p in positions}


def _runs(positions: list[int]) -> list[tuple[int, int]]:
    """Ascending positions as (first, last) runs of neighbours."""
    runs: list[tuple[int, int]] = []
    first = last = positions[0]
    for position in positions[1:]:
        if position != last + 1:
            runs.append((first, last))
            first = position
        last = position
    runs.append((first, last))
    return runs


class ChunkEncoder:
    """Encodes profiles (dicts in the normalized model) of one source file into a chunk."""

    def __init__(self, source_file_id: int) -> None:
        adapters = AdaptersMap(psycopg.adapters)
        set_json_dumps(orjson.dumps, adapters)
        self._transformer = Transformer(adapters)
        oids = [psycopg.adapters.types[name].oid for name in COLUMN_TYPES]
        self._transformer.set_dumper_types(oids, pq.Format.BINARY)
        self._source_file_id = source_file_id
        self._values = operator.itemgetter(*PROFILE_FIELDS)

    def encode(self, profiles: list[dict[str, Any]]) -> StagedChunk:
        out = bytearray()
        ends = array("q")
        values, transformer, source_file_id = self._values, self._transformer, self._source_file_id
        for profile in profiles:
            seen = profile["scraped_at"]
            format_row_binary((*values(profile), source_file_id, seen, seen), transformer, out)
            ends.append(len(out))
        return StagedChunk(bytes(out), ends, "\n".join([p["platform"] for p in profiles]),
                           "\n".join([p["handle"] for p in profiles]))
