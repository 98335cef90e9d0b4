"""The per-row loop of ingest: map, normalize, check; route to staging + normalized or rejects.

Kept free of Postgres and the object store: rows go to a `ProfileWriter` (COPY chunks for Tier 1
in production) and to a `RowSink` of local files, whose normalized parts the step publishes to
the object store as each one is finished.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
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
from sxp.pipeline.jobs import check_lease


class ProfileWriter(Protocol):
    def write(self, line: int, profile: dict[str, Any]) -> None: ...


class ChunkSubmitter(Protocol):
    def submit(self, chunk: StagedChunk) -> None: ...


class ChunkWriter:
    """Encodes Tier 1 rows and hands them over in chunks (to the database thread).

    Within a chunk only the winner per (platform, handle) is kept — ranked as Tier 1's merge
    ranks rows (a known scrape time first, the newer scrape, the larger content hash), then the
    later line — so the database gets distinct keys, sorted; memory stays one chunk.
    """

    def __init__(self, target: ChunkSubmitter, source_file_id: int,
                 chunk_rows: int = 25_000) -> None:
        self._target = target
        self._encoder = ChunkEncoder(source_file_id)
        self._chunk_rows = chunk_rows
        self._rows = 0
        self._best: dict[tuple[str, str], tuple[bool, Any, str, int, dict[str, Any]]] = {}

    def write(self, line: int, profile: dict[str, Any]) -> None:
        key = (profile["platform"], profile["handle"])
        rank = (profile["scraped_at_known"], profile["scraped_at"], profile["content_hash"],
                line)
        current = self._best.get(key)
        if current is None or rank >= current[:4]:
            self._best[key] = (*rank, profile)
        self._rows += 1
        if self._rows >= self._chunk_rows:
            self.flush()

    def flush(self) -> None:
        check_lease()  # a job whose lease was lost stops between chunks
        if self._best:
            # in Tier 1's key order (handle, platform; str order is UTF-8 byte order), so its
            # unique index takes the chunk's keys at neighbouring pages
            winners = sorted(self._best.items(), key=lambda item: (item[0][1], item[0][0]))
            self._target.submit(self._encoder.encode(
                [best[4] for _key, best in winners]))
            self._best = {}
            self._rows = 0


PART_BYTES = 64 << 20  # the in-process path starts a new normalized part after this many bytes


def keep_part(index: int, path: Path) -> None:
    """The default publisher: a finished part stays where it is, in the sink's folder."""


class RowSink:
    """Local files for the staged normalized rows (JSONL parts) and the rejects (JSONL).

    Normalized rows go into numbered parts, `part-00000.jsonl` on, in `part_dir`; each finished
    part is handed to `publish(index, path)` at once and in order (ingest moves it into the
    object store), so the output is uploaded while the file is still being read rather than
    copied in one piece at the end. A parser process's block file becomes a part as it is
    (renamed, never copied); the in-process path starts a new part every `part_bytes`. At
    least one part is published, an empty one when no row is valid. The normalized rows are
    not compressed: that cost an eighth of the whole ingest's CPU for files no later step
    reads back (cards read Tier 1).
    """

    def __init__(self, part_dir: Path, rejects_path: Path, file_key: str,
                 publish: Callable[[int, Path], None] = keep_part,
                 part_bytes: int = PART_BYTES) -> None:
        self.part_dir = part_dir
        self.rejects_path = rejects_path
        self.file_key = file_key
        self.read = 0
        self.valid = 0
        self.rejected = 0
        self.reasons: dict[str, int] = {}
        self.parts = 0  # parts published so far
        self._publish = publish
        self._part_bytes = part_bytes
        self._part: IO[bytes] | None = None  # the part being written, opened at its first row
        self._rejects: IO[bytes] | None = None
        self._pending: list[bytes] = []

    def part_path(self, index: int) -> Path:
        return self.part_dir / f"part-{index:05d}.jsonl"

    def __enter__(self) -> RowSink:
        self.part_dir.mkdir(parents=True, exist_ok=True)
        self._rejects = self.rejects_path.open("wb")
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        assert self._rejects is not None
        self._rejects.close()
        if exc is not None:
            if self._part is not None:
                self._part.close()
            return
        self._flush()
        if self._part is None and self.parts == 0:
            self._part = self.part_path(0).open("wb")  # no valid row: one empty part
        self._finish_part()

    def accept(self, profile_line: bytes) -> None:
        """One normalized profile as a JSON line (newline-terminated)."""
        self.valid += 1
        self._pending.append(profile_line)
        if len(self._pending) >= 1024:  # orjson buffers are over-allocated: flush often
            self._flush()

    def accept_file(self, block: Path, valid: int) -> None:
        """A file of normalized lines written elsewhere (by a parser process) becomes the next
        part; it is renamed, not copied."""
        self._flush()
        self._finish_part()
        self.valid += valid
        part = self.part_path(self.parts)
        os.replace(block, part)
        self._published(part)

    def write_rejects(self, block: bytes, rejected: int, reasons: dict[str, int]) -> None:
        """Already encoded reject lines (from a parser process)."""
        assert self._rejects is not None
        self._rejects.write(block)
        self.rejected += rejected
        for code, count in reasons.items():
            self.reasons[code] = self.reasons.get(code, 0) + count

    def _flush(self) -> None:
        if not self._pending:
            return
        if self._part is None:
            self._part = self.part_path(self.parts).open("wb")
        self._part.write(b"".join(self._pending))
        self._pending.clear()
        if self._part.tell() >= self._part_bytes:
            self._finish_part()

    def _finish_part(self) -> None:
        if self._part is not None:
            self._part.close()
            self._part = None
            self._published(self.part_path(self.parts))

    def _published(self, part: Path) -> None:
        self._publish(self.parts, part)
        self.parts += 1

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
