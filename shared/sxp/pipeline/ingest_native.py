"""A block of JSONL lines on the native path (`sxp.native`): C for the rows it is certain
about, `process_records` for every other row, one result exactly as the Python path gives it.

The C block hands back the lines it leaves to Python (envelopes, URLs as handles, text the PII
scrub would change, unusual values, rejects); their profiles go back into the block, which
orders all normalized lines by line and keeps the newest scrape per key like `ChunkWriter`.
"""

from __future__ import annotations

import functools
from array import array
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

from sxp.adapters.postgres.tier1_rows import ChunkEncoder, StagedChunk
from sxp.adapters.sources.readers import RAW_KEEP, RawRecord, jsonl_record
from sxp.domain import normalize as n
from sxp.domain import quality as q
from sxp.domain.quality import RowRejected
from sxp.domain.scrub import scrub_contacts
from sxp.pipeline.ingest_rows import MemorySink, process_records

_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def unix_micros(moment: datetime) -> int:
    return (moment - _UNIX_EPOCH) // _MICROSECOND


class _FallbackSink(MemorySink):
    """Rejects of the Python-path rows stay here; their profiles go back into the block.
    `process_records` calls `write(line, profile)` and then `accept(line_bytes)` for each."""

    def __init__(self, block: Any, source_file_id: int, file_key: str) -> None:
        super().__init__(file_key)
        self._block = block
        self._encoder = ChunkEncoder(source_file_id)
        self._profile: tuple[int, dict[str, Any]] | None = None

    def write(self, line: int, profile: dict[str, Any]) -> None:
        self._profile = (line, profile)

    def accept(self, profile_line: bytes) -> None:
        assert self._profile is not None
        line, profile = self._profile
        self._profile = None
        self.valid += 1
        self._block.add(line, profile["platform"], profile["handle"],
                        unix_micros(profile["scraped_at"]), self._encoder.encode([profile]).rows,
                        profile_line)


def line_records(lines: Iterable[tuple[int, bytes]], max_row_bytes: int
                 ) -> Iterator[RawRecord]:
    """(line number, raw line) pairs as records: over-long ones rejected, blank ones skipped."""
    for line, raw in lines:
        if len(raw) > max_row_bytes:
            yield RawRecord(line, None, raw[:RAW_KEEP], q.ROW_TOO_LARGE)
        elif (record := jsonl_record(line, raw)) is not None:
            yield record


@functools.lru_cache(maxsize=2)
def _block(native: ModuleType, source_file_id: int, platform_hint: str | None,
           default_scraped_us: int) -> Any:
    """One C block per file and process, reused for every block of lines: its buffers keep
    their pages (faulting in fresh ones for each 4 MB block cost more than the parsing)."""
    return native.Block(source_file_id, platform_hint, default_scraped_us,
                        unix_micros(n.EPOCH_MIN), scrub_contacts, handle_or_none)


def handle_or_none(value: str, platform: str | None) -> tuple[str, str | None] | None:
    """`normalize_handle` for the C block (URLs, non-ASCII handles); None when rejected."""
    try:
        return n.normalize_handle(value, platform)
    except RowRejected:
        return None


def native_block(native: ModuleType, first_line: int, block: bytes, max_row_bytes: int,
                 platform_hint: str | None, default_scraped_at: datetime, file_key: str,
                 source_file_id: int
                 ) -> tuple[StagedChunk | None, bytes, MemorySink, list[int]]:
    """(COPY chunk of the block's winners, normalized lines, sink holding the counts and the
    rejects, the line numbers the C code left to the Python path)."""
    rows = _block(native, source_file_id, platform_hint, unix_micros(default_scraped_at))
    read, fallback = rows.feed(block, first_line, max_row_bytes, unix_micros(n.upper_limit()))
    sink = _FallbackSink(rows, source_file_id, file_key)
    process_records(line_records(fallback, max_row_bytes), platform_hint, default_scraped_at, sink,
                    sink)
    copy_rows, ends, platforms, handles, normalized, valid = rows.finish()
    sink.read += read
    sink.valid = valid
    chunk = None
    if ends:
        chunk = StagedChunk(copy_rows, array("q", ends), platforms, handles)
    return chunk, normalized, sink, [line for line, _raw in fallback]
