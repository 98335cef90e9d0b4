"""The native tuple_fields reads a chunk's scrape times and content hashes out of its COPY rows."""

from __future__ import annotations

from array import array
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sxp.adapters.postgres.tier1_rows import ROW_COLUMNS, ChunkEncoder
from sxp.domain.profile_builder import build_profile
from sxp.native import load

SCRAPED_AT, CONTENT_HASH = ROW_COLUMNS.index("scraped_at"), ROW_COLUMNS.index("content_hash")
POSTGRES_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@pytest.fixture
def native() -> Any:
    module = load()
    assert module is not None, "the native extension is not built (make builds it)"
    return module


def test_fields_of_every_row_in_order(native: Any) -> None:
    profiles = [
        build_profile({"handle": "a", "scraped_at": "2025-03-01T00:00:00.123456Z"}, "x",
                      datetime.now(UTC)),
        build_profile({"handle": "b", "bio": "Zoë \u00e9", "followers": "1.2M", "extra_field": 1,
                       "scraped_at": "2007-01-02T03:04:05Z"}, "threads", datetime.now(UTC)),
    ]
    chunk = ChunkEncoder(7).encode(profiles)
    scraped, hashes = native.tuple_fields(chunk.rows, chunk.ends, SCRAPED_AT, CONTENT_HASH)
    assert scraped.split("\n") == [str((p["scraped_at"] - POSTGRES_EPOCH) // timedelta(
        microseconds=1)) for p in profiles]
    assert hashes.split("\n") == [p["content_hash"] for p in profiles]
    assert native.tuple_fields(b"", array("q"), SCRAPED_AT, CONTENT_HASH) == ("", "")


def test_what_is_not_such_a_tuple_is_refused(native: Any) -> None:
    chunk = ChunkEncoder(7).encode([build_profile({"handle": "a"}, "x", datetime.now(UTC))])
    for rows, ends, fields in [
        (chunk.rows[:-3], chunk.ends, (SCRAPED_AT, CONTENT_HASH)),        # cut short
        (chunk.rows, array("q", [len(chunk.rows) + 1]), (SCRAPED_AT, CONTENT_HASH)),
        (chunk.rows, chunk.ends, (CONTENT_HASH, CONTENT_HASH)),            # not 8 bytes
        (chunk.rows, chunk.ends, (SCRAPED_AT, len(ROW_COLUMNS))),          # no such field
        (chunk.rows, chunk.ends, (SCRAPED_AT, ROW_COLUMNS.index("avatar_url"))),  # NULL
    ]:
        with pytest.raises(ValueError, match="not binary COPY tuples"):
            native.tuple_fields(rows, ends, *fields)
