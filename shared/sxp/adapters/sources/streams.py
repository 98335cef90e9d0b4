"""Byte streams of a source object: gzip detection with a decompressed-size limit, format sniffing.

Format is decided by the explicit hint, then the name (`.jsonl`/`.ndjson`, `.json`, `.csv`,
each optionally `.gz`), then the first bytes of the (decompressed) content.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import zlib
from typing import Any, BinaryIO, cast

import orjson

from sxp.domain import quality as q
from sxp.errors import FileUnreadable

FORMATS = ("jsonl", "json", "csv")
GZIP_MAGIC = b"\x1f\x8b"
_SNIFF = 64 * 1024


class LimitedReader(io.RawIOBase):
    """Reads a (possibly gzip) stream and refuses to produce more than `limit` bytes."""

    def __init__(self, raw: BinaryIO, limit: int, gzipped: bool) -> None:
        self._raw = raw
        self._limit = limit
        self._produced = 0
        self._gzip = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        source = self._gzip or self._raw
        try:
            chunk = source.read(len(buffer))
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise FileUnreadable(f"gzip stream: {exc}", q.CORRUPT_GZIP) from exc
        size = len(chunk)
        self._produced += size
        if self._produced > self._limit:
            raise FileUnreadable(f"decompressed size passes {self._limit} bytes",
                                 q.DECOMPRESSED_TOO_LARGE)
        buffer[:size] = chunk
        return size

    def close(self) -> None:
        if self._gzip is not None:
            self._gzip.close()
        self._raw.close()
        super().close()


def open_source(raw: BinaryIO, key: str, limit: int) -> io.BufferedReader:
    """A buffered, size-limited, decompressed view of an object's bytes."""
    head = _peek(raw)
    gzipped = head.startswith(GZIP_MAGIC)
    if key.lower().endswith(".gz") and not gzipped and head:
        raise FileUnreadable("named .gz but not gzip content", q.NOT_GZIP)
    replay = cast(BinaryIO, _Replay(head, raw))
    return io.BufferedReader(cast(Any, LimitedReader(replay, limit, gzipped)), 1 << 20)


def sniff(reader: io.BufferedReader, key: str, hint: str | None) -> str:
    """The content's format; raises FileUnreadable for empty or binary content."""
    head = reader.peek(_SNIFF)[:_SNIFF]
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise FileUnreadable("no content", q.EMPTY_FILE)
    if b"\x00" in head[:4096] and head.count(b"\x00") > len(head) // 100:
        raise FileUnreadable("binary content", q.BINARY_FILE)
    try:
        head[:4000].decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the sniff boundary is fine; garbage at the start is not
        if exc.start < 3990:
            raise FileUnreadable("content does not start as UTF-8 text", q.BINARY_FILE) from exc
    if hint in FORMATS:
        return hint
    name = key.lower().removesuffix(".gz")
    for suffix, fmt in ((".jsonl", "jsonl"), (".ndjson", "jsonl"), (".json", "json"),
                        (".csv", "csv")):
        if name.endswith(suffix):
            return fmt
    if stripped[:1] == b"[":
        return "json"
    if stripped[:1] == b"{":
        return _json_kind(stripped)
    return "csv"


def _json_kind(head: bytes) -> str:
    """A `{` document whose first line is a whole object is JSONL; otherwise one JSON document."""
    if head[:1] == b"[":
        return "json"
    first_line = head.split(b"\n", 1)[0].strip()
    try:
        orjson.loads(first_line)
    except orjson.JSONDecodeError:
        return "json"
    return "jsonl"


class CountingReader(io.RawIOBase):
    """Passes an object's bytes through, counting them (how far a reader got)."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self._raw.read(len(buffer))
        buffer[:len(chunk)] = chunk
        self.size += len(chunk)
        return len(chunk)

    def close(self) -> None:
        self._raw.close()
        super().close()


class HashingReader(io.RawIOBase):
    """Passes an object's bytes through, hashing them (sha256) and counting them; `eof` says
    whether the hash covers the whole object."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0
        self.eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self._raw.read(len(buffer))
        size = len(chunk)
        if size == 0 and len(buffer):
            self.eof = True
        buffer[:size] = chunk
        self.sha256.update(chunk)
        self.size += size
        return size

    def drain(self) -> None:
        """Read what the parser left (trailing bytes), so the hash covers the whole object.
        A reader the parser already closed stays as it is (`eof` tells)."""
        if not self.closed:
            while self.read(1 << 20):
                pass

    def close(self) -> None:
        self._raw.close()
        super().close()


def _peek(raw: BinaryIO) -> bytes:
    return raw.read(16)


class _Replay(io.RawIOBase):
    """Give back the bytes already peeked, then the rest of the stream."""

    def __init__(self, head: bytes, raw: BinaryIO) -> None:
        self._head = head
        self._raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head:
            size = min(len(buffer), len(self._head))
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        readinto = getattr(self._raw, "readinto", None)
        if readinto is not None:
            return int(readinto(buffer) or 0)
        chunk = self._raw.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            data = self._head + self._raw.read()
            self._head = b""
            return data
        return super().read(size) or b""

    def close(self) -> None:
        self._raw.close()
        super().close()
