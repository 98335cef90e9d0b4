"""Tier 1 rows in PostgreSQL's binary COPY format, encoded where the rows are parsed.

A chunk carries the rows of distinct (platform, handle) keys as one buffer of binary COPY
tuples (`ROW_COLUMNS` order) with the offset where each ends, plus the keys as two
newline-joined texts (normalized handles and platform names hold no newline). Binary rows cost
Postgres no text parsing; they are encoded ahead of the COPY, where the rows are parsed, so
parser processes can do it (in PostgreSQL's documented format, through no private psycopg
API). A new key's row is complete as it stands: first_seen = last_seen = its scrape,
source_file_id its file.
"""

from __future__ import annotations

import operator
import struct
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import UnionType
from typing import Any, get_args, get_origin

import orjson

from sxp.domain.profiles import PROFILE_FIELDS, Profile

# Tier 1's columns are the profile model's fields (one schema: `sxp.domain.profiles.Profile`)
# plus what the row records of its arrival; the types follow the model's annotations
ROW_COLUMNS = (*PROFILE_FIELDS, "source_file_id", "first_seen", "last_seen")
_PG_TYPES: dict[object, str] = {str: "text", bool: "bool", int: "int8",
                                datetime: "timestamptz", dict: "jsonb"}
_ARRIVAL_TYPES = {"source_file_id": "int8", "first_seen": "timestamptz",
                  "last_seen": "timestamptz"}


def column_type(column: str) -> str:
    """The Postgres type of a Tier 1 column, from the profile model's annotation."""
    if column in _ARRIVAL_TYPES:
        return _ARRIVAL_TYPES[column]
    annotation = Profile.model_fields[column].annotation
    if isinstance(annotation, UnionType):  # `X | None`
        (annotation,) = [a for a in get_args(annotation) if a is not type(None)]
    return _PG_TYPES[get_origin(annotation) or annotation]


COLUMN_TYPES = tuple(column_type(column) for column in ROW_COLUMNS)
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
    """Encodes profiles (dicts in the normalized model) of one source file into a chunk, in
    PostgreSQL's documented binary COPY tuple format (the native path writes the same bytes)."""

    def __init__(self, source_file_id: int) -> None:
        self._source_file_id = source_file_id
        self._values = operator.itemgetter(*PROFILE_FIELDS)
        self._fields = tuple(_FIELD_ENCODERS[t] for t in COLUMN_TYPES)

    def encode(self, profiles: list[dict[str, Any]]) -> StagedChunk:
        out = bytearray()
        ends = array("q")
        values, fields, source_file_id = self._values, self._fields, self._source_file_id
        for profile in profiles:
            seen = profile["scraped_at"]
            out += _FIELD_COUNT
            for encode, value in zip(fields, (*values(profile), source_file_id, seen, seen),
                                     strict=True):
                out += encode(value)
            ends.append(len(out))
        return StagedChunk(bytes(out), ends, "\n".join([p["platform"] for p in profiles]),
                           "\n".join([p["handle"] for p in profiles]))


# Binary COPY fields: a 4-byte length (-1 for NULL) and the type's binary send format
_FIELD_COUNT = struct.pack(">h", len(ROW_COLUMNS))
_NULL = struct.pack(">i", -1)
_LENGTH = struct.Struct(">i").pack
_INT8 = struct.Struct(">iq").pack
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _text(value: str | None) -> bytes:
    if value is None:
        return _NULL
    data = value.encode()
    return _LENGTH(len(data)) + data


def _bool(value: bool | None) -> bytes:
    return _NULL if value is None else (b"\x00\x00\x00\x01\x01" if value else
                                        b"\x00\x00\x00\x01\x00")


def _int8(value: int | None) -> bytes:
    return _NULL if value is None else _INT8(8, value)


def _timestamptz(value: datetime | None) -> bytes:
    """Microseconds since 2000-01-01 UTC."""
    return _NULL if value is None else _INT8(8, (value - _PG_EPOCH) // _MICROSECOND)


def _jsonb(value: Any) -> bytes:
    """Version 1 of jsonb's binary format: the byte 1, then the JSON text."""
    if value is None:
        return _NULL
    data = orjson.dumps(value)
    return _LENGTH(len(data) + 1) + b"\x01" + data


_FIELD_ENCODERS: dict[str, Callable[[Any], bytes]] = {
    "text": _text, "bool": _bool, "int8": _int8, "timestamptz": _timestamptz,
    "jsonb": _jsonb}
