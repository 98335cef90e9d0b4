"""The per-row loop of ingest: map, normalize, check; route to staging + normalized or rejects.

Kept free of Postgres and the object store: rows go to a `ProfileWriter` (COPY chunks for Tier 1
in production) and to a `RowSink` of local files that the step uploads when the file is done.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Protocol

import orjson

from sxp.adapters.postgres.tier1_rows import ChunkEncoder, StagedChunk
from sxp.adapters.sources.readers import RAW_KEEP, RawRecord
from sxp.adapters.sources.shapes import detect_platform, expand, map_row
from sxp.domain import quality as q
from sxp.domain.profile_builder import build_profile
from sxp.domain.quality import RowRejected
from sxp.logs import scrub_text


class ProfileWriter(Protocol):
    def write(self, line: int, profile: dict[str, Any]) -> None: ...


class ChunkSubmitter(Protocol):
    def submit(self, chunk: StagedChunk) -> None: ...


class ChunkWriter:
    """Encodes Tier 1 rows and hands them over in chunks (to the database thread).

    Within a chunk only the winner per (platform, handle) is kept — newest scrape, then the later
    line — so the database gets distinct keys; memory stays one chunk.
    """

    def __init__(self, target: ChunkSubmitter, source_file_id: int,
                 chunk_rows: int = 25_000) -> None:
        self._target = target
        self._encoder = ChunkEncoder(source_file_id)
        self._chunk_rows = chunk_rows
        self._rows = 0
        self._best: dict[tuple[str, str], tuple[Any, int, dict[str, Any]]] = {}

    def write(self, line: int, profile: dict[str, Any]) -> None:
        key = (profile["platform"], profile["handle"])
        scraped = profile["scraped_at"]
        current = self._best.get(key)
        if current is None or (scraped, line) >= (current[0], current[1]):
            self._best[key] = (scraped, line, profile)
        self._rows += 1
        if self._rows >= self._chunk_rows:
            self.flush()

    def flush(self) -> None:
        if self._best:
            self._target.submit(self._encoder.encode(
                [profile for _scraped, _line, profile in self._best.values()]))
            self._best = {}
            self._rows = 0


class RowSink:
    """Local files for the staged normalized rows and the rejects (both JSONL).

    The normalized rows are written as they are: compressing them cost an eighth of the whole
    ingest's CPU for a file no later step reads back (cards read Tier 1).
    """

    def __init__(self, normalized_path: Path, rejects_path: Path, file_key: str) -> None:
        self.normalized_path = normalized_path
        self.rejects_path = rejects_path
        self.file_key = file_key
        self.read = 0
        self.valid = 0
        self.rejected = 0
        self.reasons: dict[str, int] = {}
        self._normalized: IO[bytes] | None = None
        self._rejects: IO[bytes] | None = None
        self._pending: list[bytes] = []

    def __enter__(self) -> RowSink:
        self._normalized = self.normalized_path.open("wb")
        self._rejects = self.rejects_path.open("wb")
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._flush()
        assert self._normalized is not None and self._rejects is not None
        self._normalized.close()
        self._rejects.close()

    def accept(self, profile_line: bytes) -> None:
        """One normalized profile as a JSON line (newline-terminated)."""
        self.valid += 1
        self._pending.append(profile_line)
        if len(self._pending) >= 1024:  # orjson buffers are over-allocated: flush often
            self._flush()

    def accept_file(self, part: Path, valid: int) -> None:
        """Append a file of normalized lines written elsewhere (by a parser process); the
        kernel copies it (`copy_file_range`), then it is removed."""
        self._flush()
        self.valid += valid
        assert self._normalized is not None
        self._normalized.flush()
        with part.open("rb") as src:
            _append(src, self._normalized)
        part.unlink()

    def write_rejects(self, block: bytes, rejected: int, reasons: dict[str, int]) -> None:
        """Already encoded reject lines (from a parser process)."""
        assert self._rejects is not None
        self._rejects.write(block)
        self.rejected += rejected
        for code, count in reasons.items():
            self.reasons[code] = self.reasons.get(code, 0) + count

    def _flush(self) -> None:
        if self._pending and self._normalized is not None:
            self._normalized.write(b"".join(self._pending))
            self._pending.clear()

    def reject(self, line: int, code: str, raw: bytes, detail: str = "") -> None:
        self.rejected += 1
        self.reasons[code] = self.reasons.get(code, 0) + 1
        assert self._rejects is not None
        self._rejects.write(reject_line(self.file_key, line, code, raw, detail))


class MemorySink(RowSink):
    """A sink that keeps a block's normalized lines and rejects in memory (parser side)."""

    def __init__(self, file_key: str) -> None:
        super().__init__(None, None, file_key)  # type: ignore[arg-type]
        # normalized lines, newline-terminated: appending each orjson result to one buffer frees
        # it at once (a list of them would keep every over-allocated buffer until the block ends)
        self.normalized = bytearray()
        self.reject_lines: list[bytes] = []

    def accept(self, profile_line: bytes) -> None:
        self.valid += 1
        self.normalized += profile_line

    def reject(self, line: int, code: str, raw: bytes, detail: str = "") -> None:
        self.rejected += 1
        self.reasons[code] = self.reasons.get(code, 0) + 1
        self.reject_lines.append(reject_line(self.file_key, line, code, raw, detail))


def _append(src: IO[bytes], out: IO[bytes]) -> None:
    """Append all of `src` at the end of `out` (flushed) by file descriptors."""
    source, target = src.fileno(), out.fileno()
    start = os.lseek(target, 0, os.SEEK_END)
    try:
        while os.copy_file_range(source, target, 1 << 30):
            pass
    except OSError:  # no copy_file_range between these files: copy through user space
        os.ftruncate(target, start)
        os.lseek(target, start, os.SEEK_SET)
        os.lseek(source, 0, os.SEEK_SET)
        while data := os.read(source, 1 << 20):
            view = memoryview(data)
            while view:
                view = view[os.write(target, view):]


def process_records(records: Iterable[RawRecord], platform_hint: str | None,
                    default_scraped_at: datetime, staging: ProfileWriter,
                    sink: RowSink) -> None:
    """Route every record: valid profiles to staging and the sink, the rest to rejects."""
    write = staging.write
    accept = sink.accept
    dumps = orjson.dumps
    as_line = orjson.OPT_APPEND_NEWLINE
    read = 0
    try:
        for record in records:
            read += 1
            value = record.value
            if value is None:
                sink.reject(record.line, record.error or q.UNPARSABLE_ROW, record.raw)
                continue
            items = expand(value) if "data" in value else (value,)
            for item in items:
                if "_not_object" in item:
                    sink.reject(record.line, q.NOT_AN_OBJECT, record.raw)
                    continue
                try:
                    platform = detect_platform(item, platform_hint)
                    profile = build_profile(map_row(item, platform), platform,
                                            default_scraped_at)
                except RowRejected as exc:
                    sink.reject(record.line, exc.code, record.raw, exc.detail)
                    continue
                write(record.line, profile)
                accept(dumps(profile, option=as_line))
    finally:
        sink.read += read


def reject_line(file_key: str, line: int, code: str, raw: bytes, detail: str = "") -> bytes:
    """One rejects JSONL line: file, line, reason code, detail, raw row (contacts masked)."""
    text = scrub_text(raw[:RAW_KEEP].decode("utf-8", "replace").rstrip("\r\n"))
    record = {"file": file_key, "line": line, "reason_code": code, "detail": detail,
              "raw": text.replace("\x00", "\\u0000"), "raw_truncated": len(raw) > RAW_KEEP}
    return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)
