"""Lead Card Batch files: write a bundle to the object store; stream one back for checking.

Bytes are deterministic for the same records: records in the given order, one compact JSON
object per line (`RecordLines`, made in this process or on workers: `export_parallel`), gzip
with mtime 0 and no file name, manifest with sorted keys. The records' gzip is a series of
members of `MEMBER_RECORDS` lines each, however the lines arrive, compressed with ISA-L on a
thread pool while the next lines are built: both cores, and each member's bytes depend only
on its lines.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

import orjson
from isal import igzip

from sxp.adapters.objectstore.base import ObjectStore
from sxp.domain.bundle import (
    MANIFEST_FILE,
    RECORDS_FILE,
    LeadCardRecord,
    Manifest,
    ManifestFile,
    RecordLines,
)

NDJSON = "application/x-ndjson"
_CHUNK = 1 << 20
# ISA-L's (igzip) level 2: 0.86 µs a record line against zlib level 6's 8.95, for bundles a
# quarter larger (10.6% of the lines' bytes against 8.5%; 20,000 records of a pool)
GZIP_LEVEL = 2
MEMBER_RECORDS = 2000
COMPRESS_THREADS = 2


@dataclass(frozen=True)
class WrittenBundle:
    manifest: Manifest
    manifest_key: str
    manifest_sha256: str
    records_key: str
    rejected: list[tuple[int, str]]  # cards left out: (card id, reason)


@dataclass(frozen=True)
class Sidecar:
    """A file of the bundle beside the records (`handoff.json`, `versions.jsonl`)."""

    name: str
    body: bytes
    content_type: str
    record_count: int


SidecarBuilder = Callable[[int], list[Sidecar]]  # records written -> the sidecar files


def record_lines(records: Iterable[LeadCardRecord]) -> list[RecordLines]:
    """Records in this process, as `write_bundle` takes them."""
    lines = RecordLines()
    for record in records:
        lines.add(record)
    return [lines]


def write_bundle(store: ObjectStore, records: Iterable[RecordLines], *, batch_id: str,
                 env: str, created_at: datetime, folder: str, gzip_records: bool = True,
                 rejected: list[tuple[int, str]] | None = None,
                 sidecars: SidecarBuilder | None = None) -> WrittenBundle:
    """Stream records to a temp file and upload it; then the sidecars (built once the records
    are counted), then the manifest describing them all."""
    name = RECORDS_FILE if gzip_records else RECORDS_FILE.removesuffix(".gz")
    fd, tmp = tempfile.mkstemp(prefix="sxp-export-", suffix=f"-{name}")
    path = Path(tmp)
    try:
        with os.fdopen(fd, "wb") as raw:
            labels, statuses, count = _write_records(raw, records, gzip_records)
        sha, size = file_sha256(path)
        records_key = folder + name
        store.put_file(records_key, path, content_type=NDJSON)
    finally:
        path.unlink(missing_ok=True)
    files = [ManifestFile(path=name, sha256=sha, size_bytes=size, record_count=count,
                          content_type=NDJSON, compression="gzip" if gzip_records else "none")]
    for sidecar in sidecars(count) if sidecars else []:
        store.put_bytes(folder + sidecar.name, sidecar.body, content_type=sidecar.content_type)
        files.append(ManifestFile(
            path=sidecar.name, sha256=hashlib.sha256(sidecar.body).hexdigest(),
            size_bytes=len(sidecar.body), record_count=sidecar.record_count,
            content_type=sidecar.content_type, compression="none"))
    manifest = Manifest(
        batch_id=batch_id, env=env, created_at=created_at, record_count=count, files=files,
        counts_by_execution_label=dict(sorted(labels.items())),
        counts_by_enrichment_status=dict(sorted(statuses.items())))
    body = manifest_bytes(manifest)
    manifest_key = folder + MANIFEST_FILE
    store.put_bytes(manifest_key, body, content_type="application/json")
    return WrittenBundle(manifest, manifest_key, hashlib.sha256(body).hexdigest(), records_key,
                         list(rejected or []))


def manifest_bytes(manifest: Manifest) -> bytes:
    data = orjson.loads(manifest.model_dump_json())
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def _write_records(raw: IO[bytes], records: Iterable[RecordLines],
                   gzip_records: bool) -> tuple[Counter[str], Counter[str], int]:
    labels: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    count = 0
    out = _GzipMembers(raw) if gzip_records else None
    emit = raw.write if out is None else out.write
    buffer: list[bytes] = []
    try:
        for block in records:  # members of MEMBER_RECORDS lines, however the blocks come
            labels.update(block.labels)
            statuses.update(block.statuses)
            count += len(block.lines)
            lines = block.lines
            while len(buffer) + len(lines) >= MEMBER_RECORDS:
                take = MEMBER_RECORDS - len(buffer)
                emit(b"".join(buffer + lines[:take]))
                buffer.clear()
                lines = lines[take:]
            buffer.extend(lines)
        if buffer or count == 0:  # an empty records file is still a gzip file
            emit(b"".join(buffer))
    finally:
        if out is not None:
            out.close()
    return labels, statuses, count


class _GzipMembers:
    """Writes each block as a gzip member, compressed on threads, in order."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.pool = ThreadPoolExecutor(COMPRESS_THREADS, thread_name_prefix="sxp-gzip")
        self.pending: deque[Future[bytes]] = deque()

    def write(self, block: bytes) -> None:
        self.pending.append(self.pool.submit(igzip.compress, block, GZIP_LEVEL, mtime=0))
        while len(self.pending) > 2 * COMPRESS_THREADS:
            self.raw.write(self.pending.popleft().result())

    def close(self) -> None:
        try:
            while self.pending:
                self.raw.write(self.pending.popleft().result())
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)


def file_sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


class HashingReader:
    """Wraps a binary stream; hashes and counts every byte read through it."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self._stream.read(n)
        self.digest.update(data)
        self.size += len(data)
        return data

    def drain(self) -> None:
        while self.read(_CHUNK):
            pass

    def readable(self) -> bool:
        return True


def iter_lines(stream: IO[bytes] | HashingReader, compression: str) -> Iterator[bytes]:
    """Decompressed lines of a records file (gzip or plain)."""
    if compression == "gzip":
        with gzip.GzipFile(fileobj=stream, mode="rb") as unzipped:  # type: ignore[arg-type]
            yield from unzipped
    else:
        yield from _plain_lines(stream)


def _plain_lines(stream: IO[bytes] | HashingReader) -> Iterator[bytes]:
    rest = b""
    for chunk in iter(lambda: stream.read(_CHUNK), b""):
        rest += chunk
        *lines, rest = rest.split(b"\n")
        for line in lines:
            yield line + b"\n"
    if rest:
        yield rest
