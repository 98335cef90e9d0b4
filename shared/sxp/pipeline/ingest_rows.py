"""The per-row loop of ingest: map, normalize, check; route to staging + normalized or rejects.

Kept free of Postgres and the object store: rows go to a `ProfileWriter` (the COPY staging in
production) and to a `RowSink` of local files that the step uploads when the file is done.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Protocol, cast

import orjson

from sxp.adapters.sources.readers import RAW_KEEP, RawRecord
from sxp.adapters.sources.shapes import detect_platform, expand, map_row
from sxp.domain import quality as q
from sxp.domain.profiles import build_profile
from sxp.domain.quality import RowRejected
from sxp.logs import scrub_text


class ProfileWriter(Protocol):
    def write(self, line: int, profile: dict[str, Any]) -> None: ...


class RowSink:
    """Local files for the staged normalized rows (gzip JSONL) and the rejects (JSONL)."""

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
        self._normalized = cast(IO[bytes], gzip.open(self.normalized_path, "wb", compresslevel=1))
        self._rejects = self.rejects_path.open("wb")
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._flush()
        assert self._normalized is not None and self._rejects is not None
        self._normalized.close()
        self._rejects.close()

    def accept(self, profile: dict[str, Any]) -> None:
        self.valid += 1
        self._pending.append(orjson.dumps(profile, option=orjson.OPT_APPEND_NEWLINE))
        if len(self._pending) >= 2048:
            self._flush()

    def _flush(self) -> None:
        if self._pending and self._normalized is not None:
            self._normalized.write(b"".join(self._pending))
            self._pending.clear()

    def reject(self, line: int, code: str, raw: bytes, detail: str = "") -> None:
        self.rejected += 1
        self.reasons[code] = self.reasons.get(code, 0) + 1
        text = scrub_text(raw[:RAW_KEEP].decode("utf-8", "replace").rstrip("\r\n"))
        record = {"file": self.file_key, "line": line, "reason_code": code,
                  "detail": detail, "raw": text.replace("\x00", "\\u0000"),
                  "raw_truncated": len(raw) > RAW_KEEP}
        assert self._rejects is not None
        self._rejects.write(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))


def process_records(records: Iterable[RawRecord], platform_hint: str | None,
                    default_scraped_at: datetime, staging: ProfileWriter,
                    sink: RowSink) -> None:
    """Route every record: valid profiles to staging and the sink, the rest to rejects."""
    write = staging.write
    accept = sink.accept
    for record in records:
        sink.read += 1
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
                profile = build_profile(map_row(item, platform), platform, default_scraped_at)
            except RowRejected as exc:
                sink.reject(record.line, exc.code, record.raw, exc.detail)
                continue
            write(record.line, profile)
            accept(profile)
