"""Ingest step: one source file -> Tier 1 + staged normalized JSONL + rejects JSONL.

Job `ingest {"source_file_id"}`. The object is streamed (never loaded whole); rows are mapped,
normalized and checked, and written to Tier 1 in chunks while parsing continues (new keys COPYed
straight in, known ones merged), all in the same transaction that writes the file's counters,
enqueues `cards` and completes the job. A file that cannot be read at all is marked `failed`
with its reason code; since nothing was committed, nothing partial is left. Re-running on an
ingested file is a no-op. An object no settled import describes (a presigned upload, a file
dropped into the inbox) is hashed as it is read; when an earlier import brought the same
content, the transaction is rolled back, the file is marked `duplicate` of it and its copy is
removed from the inbox, so the same content is never ingested or stored twice. JSONL files
are parsed in blocks (`ingest_parallel`, on the native path where it is built), those of
MIN_PARALLEL_BYTES or more on two parser processes; the database thread writes their chunks
as they arrive. The transaction sets `synchronous_commit = off`: a commit lost in a server
crash is lost together with the job's completion, so the job simply runs again.
"""

from __future__ import annotations

import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

import psycopg

from sxp.adapters.objectstore.base import ObjectStore
from sxp.adapters.postgres import imports, queue, suppressions
from sxp.adapters.postgres import source_files as files
from sxp.adapters.postgres.profiles import ChunkedMerge, MergeResult
from sxp.adapters.postgres.queue import Job
from sxp.adapters.postgres.tier1_rows import StagedChunk
from sxp.adapters.sources.readers import read_records
from sxp.adapters.sources.streams import CountingReader, HashingReader, open_source, sniff
from sxp.adapters.staged_lines import drop_lines
from sxp.bootstrap import App
from sxp.domain import quality as q
from sxp.domain.privacy import hmac_pads
from sxp.errors import FileUnreadable, InputError, StoreError
from sxp.logs import get_logger
from sxp.native import load as load_native
from sxp.pipeline.ingest_parallel import MIN_PARALLEL_BYTES, run_parallel, worker_count
from sxp.pipeline.ingest_rows import ChunkSubmitter, ChunkWriter, RowSink, process_records
from sxp.pipeline.jobs import IngestPayload, payload_of, report_progress

log = get_logger("sxp.pipeline.ingest")
# rows per staged chunk: the database thread merges one chunk while the next is parsed
CHUNK_ROWS = 25_000
NDJSON = "application/x-ndjson"
UPLOAD_THREADS = 4  # normalized parts uploaded at once


def stage_run(source_file_id: int) -> str:
    """The run name of a source file under `stage/` (later steps reuse it)."""
    return f"file-{source_file_id:08d}"


@dataclass
class IngestOutcome:
    source_file_id: int
    state: str
    rows_read: int = 0
    rows_rejected: int = 0
    merge: MergeResult | None = None
    reason_code: str | None = None


def run_job(app: App, job: Job) -> None:
    ingest_file(app, payload_of(job, IngestPayload).source_file_id, job=job)


def ingest_file(app: App, source_file_id: int, job: Job | None = None) -> IngestOutcome:
    with app.connect() as conn:
        source = files.load(conn, source_file_id)
        conn.commit()
        if source is None:
            raise InputError(f"source file {source_file_id} is not registered",
                             "unknown_source_file")
        if source.state in files.FINAL_STATES:
            if source.state == "duplicate":  # a run stopped before it removed the copy
                app.store.delete(source.key)
            with conn.transaction():
                _complete(conn, job)
            return IngestOutcome(source_file_id, source.state)
        with conn.transaction():
            files.mark_ingesting(conn, source_file_id)
        try:
            with tempfile.TemporaryDirectory(prefix="sxp-ingest-") as tmp, conn.transaction():
                outcome = _ingest(app, conn, source, Path(tmp), job)
        except FileUnreadable as exc:
            _remove_staged(app, source_file_id)
            with conn.transaction():
                files.mark_failed(conn, source_file_id, exc.reason_code, exc.message)
                _complete(conn, job)
            outcome = IngestOutcome(source_file_id, "failed", reason_code=exc.reason_code)
        except _DuplicateContent as dup:
            _remove_staged(app, source_file_id)
            with conn.transaction():
                imports.mark_duplicate(conn, bucket=source.bucket, key=source.key,
                                       first_id=dup.first_id, size_bytes=dup.size_bytes,
                                       filename=_filename(source.key))
                files.mark_duplicate(conn, source_file_id,
                                     f"the same content as import {dup.first_id}")
                _complete(conn, job)
            app.store.delete(source.key)  # after the commit: a rerun finds it marked
            outcome = IngestOutcome(source_file_id, "duplicate", reason_code="duplicate_content")
    log.info("file ingested", extra={
        "source_file_id": source_file_id, "state": outcome.state,
        "rows_read": outcome.rows_read, "rows_rejected": outcome.rows_rejected,
        "rows_loaded": outcome.merge.loaded if outcome.merge else 0,
        "reason_code": outcome.reason_code})
    return outcome


def _complete(conn: psycopg.Connection[Any], job: Job | None) -> None:
    if job is not None:
        queue.complete(conn, job)


def _ingest(app: App, conn: psycopg.Connection[Any], source: files.SourceFile, tmp: Path,
            job: Job | None) -> IngestOutcome:
    state = files.lock_state(conn, source.id)
    if state in files.FINAL_STATES:  # another worker finished it meanwhile
        _complete(conn, job)
        return IngestOutcome(source.id, state)
    settings = app.settings
    run = stage_run(source.id)
    normalized_prefix = f"{settings.stage_prefix}{run}/normalized/"
    rejects_key = f"{settings.stage_prefix}{run}/rejects/part-00000.jsonl"

    uploads = _PartUploads(app.store, normalized_prefix)
    sink = RowSink(tmp / "normalized", tmp / "rejects.jsonl", source.key, uploads)
    app.store.delete_prefix(normalized_prefix)  # parts of an attempt that was interrupted
    try:
        raw = app.store.open_read(source.key)
    except StoreError as exc:
        if exc.reason_code == "not_found":
            raise FileUnreadable("object missing", q.OBJECT_MISSING) from exc
        raise
    hashing = HashingReader(raw) if imports.unsettled(conn, source.bucket, source.key) else None
    counted = CountingReader(raw if hashing is None else cast(BinaryIO, hashing))
    stream = cast(BinaryIO, counted)
    with closing(uploads), open_source(stream, source.key,
                                        settings.ingest_max_decompressed_bytes) as reader:
        fmt = sniff(reader, source.key, source.format_hint)
        # on the native path new keys skip the Tier 1 probe (a filter of the keys written) and
        # known rows that would not change are not staged (their hashes and scrape times)
        native = load_native() if settings.ingest_native else None
        written = native.KeyFilter() if native is not None else None
        tuple_fields = native.tuple_fields if native is not None else None
        suppress = (hmac_pads(app.privacy_key())
                    if suppressions.has_kind(conn, "handle") else None)
        with ChunkedMerge(conn, source.id, written, tuple_fields, suppress) as merger:
            reporting = _ReportingSubmitter(merger, counted, source.size_bytes)
            with sink:
                if fmt == "jsonl":  # in blocks, on parser processes when the file is large
                    run_parallel(reader, settings.ingest_max_row_bytes, source.platform_hint,
                                 source.registered_at, source.id, reporting, sink,
                                 workers=_workers(source), native=settings.ingest_native)
                else:
                    staging = ChunkWriter(reporting, source.id, CHUNK_ROWS)
                    records = read_records(reader, fmt, settings.ingest_max_row_bytes)
                    process_records(records, source.platform_hint, source.registered_at,
                                    staging, sink)
                    staging.flush()
            uploads.wait()
            if hashing is not None:
                hashing.drain()
            if sink.valid == 0 and sink.rejected == 0:
                raise FileUnreadable("the file holds no data rows", q.NO_ROWS)
            # while the database thread writes the last chunks
            app.store.move_file(rejects_key, sink.rejects_path, NDJSON)
    merge = merger.finish(sink.valid)
    if merger.suppressed_keys:  # their rows were staged before the merge dropped them
        for part in app.store.list(normalized_prefix):
            drop_lines(app.store, part.key, set(merger.suppressed_keys))
    if hashing is not None and hashing.eof:  # (a parser that stopped early: not settled)
        first = imports.settle(conn, bucket=source.bucket, key=source.key,
                               sha256=hashing.sha256.hexdigest(), size_bytes=hashing.size,
                               filename=_filename(source.key))
        if first is not None:
            raise _DuplicateContent(first, hashing.size)  # rolls back all this file wrote
    files.mark_ingested(conn, source.id, files.IngestCounts(
        format=fmt, read=sink.read, loaded=merge.loaded, unchanged=merge.unchanged,
        deduped=merge.deduped, rejected=sink.rejected, stale=merge.stale,
        suppressed=merge.suppressed,
        normalized_prefix=normalized_prefix,
        normalized_parts=sink.parts, rejects_key=rejects_key))
    queue.enqueue(conn, "cards", {"source_file_id": source.id},
                  queueing_lock=f"cards:{source.id}", max_attempts=settings.job_max_attempts)
    _complete(conn, job)
    return IngestOutcome(source.id, "ingested", sink.read, sink.rejected, merge)


class _PartUploads:
    """Publishes a file's finished normalized parts to the object store on threads of their own,
    so the sink never waits out a PUT's round trip (on S3 each part is one); `wait` returns once
    every part is stored or raises the first failure, `close` drops what has not started."""

    def __init__(self, store: ObjectStore, prefix: str) -> None:
        self._store = store
        self._prefix = prefix
        self._pool = ThreadPoolExecutor(UPLOAD_THREADS, thread_name_prefix="sxp-ingest-upload")
        self._pending: list[Future[None]] = []

    def __call__(self, index: int, part: Path) -> None:
        key = f"{self._prefix}part-{index:05d}.jsonl"
        self._pending.append(self._pool.submit(self._store.move_file, key, part, NDJSON))

    def wait(self) -> None:
        for upload in self._pending:
            upload.result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class _DuplicateContent(Exception):
    """The object's content is that of an earlier import (raised to roll back the ingest)."""

    def __init__(self, first_id: int, size_bytes: int) -> None:
        super().__init__(f"the same content as import {first_id}")
        self.first_id, self.size_bytes = first_id, size_bytes


class _ReportingSubmitter:
    """Hands chunks on to the merge and reports how much of the object has been read."""

    def __init__(self, target: ChunkSubmitter, reader: CountingReader,
                 total_bytes: int | None) -> None:
        self._target, self._reader, self._total = target, reader, total_bytes

    def submit(self, chunk: StagedChunk) -> None:
        self._target.submit(chunk)
        report_progress(self._reader.size, self._total, "bytes")


def _filename(key: str) -> str:
    return key.rsplit("/", 1)[-1][:200]


def _remove_staged(app: App, source_file_id: int) -> None:
    """A failed file leaves nothing staged: parts published before the failure are deleted."""
    run = f"{app.settings.stage_prefix}{stage_run(source_file_id)}/"
    app.store.delete_prefix(f"{run}normalized/")
    app.store.delete_prefix(f"{run}rejects/")


def _workers(source: files.SourceFile) -> int:
    """Parser processes for a JSONL file: none (its blocks are parsed here) below
    MIN_PARALLEL_BYTES, where starting them costs more than they save."""
    count = worker_count()
    return count if count > 1 and (source.size_bytes or 0) >= MIN_PARALLEL_BYTES else 0
