"""Read and encode the export's records on both cores.

Reading a batch's rows (psycopg making a million dicts, their jsonb decoded) and validating
each as a Lead Card record and writing its JSON line (pydantic) took most of the export's
time, on one core. A large batch is read a slice at a time (`exports.BatchSlice`) by worker
processes (`worker_pool`), each on its own connection, in a transaction that takes the
exporting one's snapshot (`snapshots.export_snapshot`): they see the batch exactly as the
exporting transaction does. They return the records' lines, the cards left out and the
phones' DNC checks, in order; this process writes the file. Small batches are read and
encoded in process. Either way the records file has the same bytes (`bundle_files` cuts its
gzip members by record count, not by how the lines arrive).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sxp.adapters.postgres import exports as repo
from sxp.adapters.postgres.connection import process_connection
from sxp.adapters.postgres.snapshots import export_snapshot
from sxp.domain.privacy import SuppressedPoints
from sxp.pipeline import worker_pool

MIN_PARALLEL_RECORDS = 20_000
Encoder = Callable[[Iterable[repo.BatchSlice]], Iterator[repo.EncodedRecords]]


@dataclass(frozen=True)
class SliceSource:
    """Where the batch's slices are read: the exporting connection, and what a worker needs
    to read them as it does (the database, the role, the suppression list)."""

    conn: repo.Conn
    database_uri: str = field(repr=False)
    role: str | None
    suppressed: SuppressedPoints | None


def worker_count(cards: int) -> int:
    """Worker processes for a batch of `cards` (0: read and encode in this process)."""
    return worker_pool.worker_count(cards, MIN_PARALLEL_RECORDS)


@contextmanager
def record_encoder(source: SliceSource, workers: int) -> Iterator[Encoder]:
    """A function from slices of the batch (read inside `exports.reading_batch` on
    `source.conn`) to their encoded records, in order: on `workers` processes, or in this one
    when 0."""
    if workers == 0:
        def in_process(slices: Iterable[repo.BatchSlice]) -> Iterator[repo.EncodedRecords]:
            for part in slices:
                rows = repo.read_slice(source.conn, part, suppressed=source.suppressed)
                yield repo.encode_record_rows(rows)

        yield in_process
        return
    reader = _WorkerReader(source.database_uri, source.role, export_snapshot(source.conn),
                           source.suppressed)
    with worker_pool.worker_pool(workers, _start_worker, (reader,)) as pool:
        def on_workers(slices: Iterable[repo.BatchSlice]) -> Iterator[repo.EncodedRecords]:
            return worker_pool.map_in_order(pool, _encode_in_worker, slices, workers)

        yield on_workers


@dataclass(frozen=True)
class _WorkerReader:
    """What a worker reads its slices with (handed over once, as the worker starts)."""

    database_uri: str = field(repr=False)
    role: str | None
    snapshot: str
    suppressed: SuppressedPoints | None


_worker_reader: _WorkerReader | None = None


def _start_worker(reader: _WorkerReader) -> None:
    global _worker_reader
    _worker_reader = reader


def _encode_in_worker(part: repo.BatchSlice) -> repo.EncodedRecords:
    reader = _worker_reader
    assert reader is not None, "worker started without its reader"
    conn = process_connection(reader.database_uri, reader.role)
    with worker_pool.collection_paused():
        rows = repo.read_slice(conn, part, snapshot=reader.snapshot,
                               suppressed=reader.suppressed)
        return repo.encode_record_rows(rows)
