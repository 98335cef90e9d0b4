"""JSONL ingest on parser processes: blocks of lines in, COPY chunks and staged output back.

The main process reads the (decompressed, size-limited) stream in blocks cut at line ends and
hands them to worker processes; each worker parses, maps, normalizes and checks its block
exactly like `process_records`, keeps the newest scrape per key, writes the normalized lines to
a file of its own in the sink's folder and returns the COPY chunk and the encoded rejects
(sending the normalized lines back through the pipe cost the main process more than all its
other work). The main process publishes each block's file as the next normalized part and
submits the chunks in block order, so the result equals the in-process path; at most
`workers + 2` blocks are in flight, which bounds memory whatever the file size.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.pool import AsyncResult, Pool
from pathlib import Path
from typing import BinaryIO

from sxp.adapters.postgres.tier1_rows import StagedChunk
from sxp.adapters.sources.readers import RawRecord
from sxp.native import load as load_native
from sxp.pipeline.ingest_native import line_records, native_block
from sxp.pipeline.ingest_rows import (
    ChunkSubmitter,
    ChunkWriter,
    MemorySink,
    RowSink,
    process_records,
)
from sxp.pipeline.jobs import check_lease
from sxp.pipeline.worker_pool import collection_paused

BLOCK_BYTES = 4 << 20  # about 12,000 rows of 330 bytes per block
# files smaller than this are parsed in-process (starting workers costs more than it saves)
MIN_PARALLEL_BYTES = 32 << 20


@dataclass
class BlockResult:
    read: int = 0
    chunk: StagedChunk | None = None
    normalized_path: str | None = None
    valid: int = 0
    rejects: bytes = b""
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    # rows of the block the C code handled itself (0 on the Python path), and the line numbers
    # of those it handed to the Python path
    native_rows: int = 0
    fallback_lines: list[int] = field(default_factory=list)


def worker_count() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def iter_blocks(reader: BinaryIO, max_row_bytes: int) -> Iterator[tuple[int, bytes]]:
    """(first line number, block of whole lines); an over-long line is cut after max+1 bytes."""
    line = 1
    while block := reader.read(BLOCK_BYTES):
        if not block.endswith(b"\n"):
            tail = reader.readline(max_row_bytes + 1)
            block += tail
            if not block.endswith(b"\n") and len(tail) > max_row_bytes:
                # skip the rest of an over-long line; the worker rejects what it sees
                while (rest := reader.readline(1 << 20)) and not rest.endswith(b"\n"):
                    pass
        yield line, block
        line += block.count(b"\n") + (0 if block.endswith(b"\n") else 1)


def _records(first_line: int, block: bytes, max_row_bytes: int) -> Iterator[RawRecord]:
    lines = block.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return line_records(enumerate(lines, first_line), max_row_bytes)


class _Collect:
    """A `ChunkSubmitter` that keeps the one chunk a worker's ChunkWriter hands over."""

    def __init__(self) -> None:
        self.chunk: StagedChunk | None = None

    def submit(self, chunk: StagedChunk) -> None:
        assert self.chunk is None
        self.chunk = chunk


def process_block(first_line: int, block: bytes, max_row_bytes: int, platform_hint: str | None,
                  default_scraped_at: datetime, file_key: str, source_file_id: int,
                  normalized_path: str, native: bool = True) -> BlockResult:
    """Worker side: one block of JSONL lines -> COPY chunk, normalized lines (written to
    `normalized_path` when there are any), rejects. On the native path when it is built and
    `native` is set, otherwise in Python; both give the same result."""
    with collection_paused():  # a block's objects all live until it is done
        module = load_native() if native else None
        fallback: list[int] = []
        if module is not None:
            chunk, normalized, sink, fallback = native_block(
                module, first_line, block, max_row_bytes, platform_hint, default_scraped_at,
                file_key, source_file_id)
            native_rows = sink.read - len(fallback)
        else:
            native_rows = 0
            collect = _Collect()
            writer = ChunkWriter(collect, source_file_id, chunk_rows=1 << 30)
            sink = MemorySink(file_key)
            process_records(_records(first_line, block, max_row_bytes), platform_hint,
                            default_scraped_at, writer, sink)
            writer.flush()
            chunk, normalized = collect.chunk, bytes(sink.normalized)
    if normalized:
        with open(normalized_path, "wb") as out:
            out.write(normalized)
    return BlockResult(read=sink.read, chunk=chunk,
                       normalized_path=normalized_path if normalized else None,
                       valid=sink.valid, rejects=b"".join(sink.reject_lines),
                       rejected=sink.rejected, reasons=sink.reasons, native_rows=native_rows,
                       fallback_lines=fallback)


def run_parallel(reader: BinaryIO, max_row_bytes: int, platform_hint: str | None,
                 default_scraped_at: datetime, source_file_id: int, staging: ChunkSubmitter,
                 sink: RowSink, workers: int | None = None, native: bool = True) -> None:
    """Feed blocks to worker processes (`workers`, by default `worker_count()`; 0: parse them
    in this process); write their results in order to `staging` and `sink`.

    With workers, the sink's file work (publishing parts, writing rejects) runs on a thread of
    its own, in block order, so the main thread never waits on the disk or the object store
    while workers wait for blocks.
    """
    count = worker_count() if workers is None else workers
    blocks = ((first_line, block, max_row_bytes, platform_hint, default_scraped_at,
               sink.file_key, source_file_id, str(sink.part_dir / f"block-{index:06d}.jsonl"),
               native)
              for index, (first_line, block) in enumerate(iter_blocks(reader, max_row_bytes)))
    if count == 0:
        for args in blocks:
            check_lease()
            result = process_block(*args)
            _write_block(sink, result)
            if result.chunk is not None:
                staging.submit(result.chunk)
        return
    pending: deque[AsyncResult[BlockResult]] = deque()
    writes: deque[Future[None]] = deque()
    pool: Pool = parser_context().Pool(count, initializer=_start_parser, initargs=(native,))
    files = ThreadPoolExecutor(1, thread_name_prefix="sxp-ingest-sink")
    try:
        def drain_one() -> None:
            result = pending.popleft().get()
            writes.append(files.submit(_write_block, sink, result))
            while len(writes) > 2:
                writes.popleft().result()
            if result.chunk is not None:
                staging.submit(result.chunk)

        for args in blocks:
            check_lease()  # a job whose lease was lost stops between blocks
            pending.append(pool.apply_async(process_block, args))
            if len(pending) > count + 1:
                drain_one()
        while pending:
            drain_one()
        while writes:
            writes.popleft().result()
    finally:
        pool.terminate()
        pool.join()
        files.shutdown(wait=True)


def parser_context() -> multiprocessing.context.BaseContext:
    """Parser processes start from a forkserver: forking the ingest process itself, whose
    heartbeat, upload and database threads hold locks, could hand a child a lock that is never
    released (Python 3.12 warns of it). The server, started once per process, preloads the
    block code and the native Unicode table (`parser_preload`), which every parser process
    forked from it inherits."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["sxp.pipeline.parser_preload"])
    return context


def _start_parser(native: bool) -> None:
    if native:
        load_native()


def _write_block(sink: RowSink, result: BlockResult) -> None:
    sink.read += result.read
    if result.normalized_path is not None:
        sink.accept_file(Path(result.normalized_path), result.valid)
    if result.rejected:
        sink.write_rejects(result.rejects, result.rejected, result.reasons)
