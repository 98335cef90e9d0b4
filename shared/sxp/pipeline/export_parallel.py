"""Encode the export's records on both cores.

Validating each card's row as a Lead Card record and writing its JSON line (pydantic, per
record) took most of the export's own time, on one core while Postgres waited for the next
fetch. A large batch hands its rows, a fetch at a time, to worker processes
(`worker_pool`), which return the records' lines, the cards left out and the phones'
DNC checks, in order; this process reads the rows and writes the file. Small batches encode
in process. Either way the records file has the same bytes (`bundle_files` cuts its gzip
members by record count, not by how the lines arrive).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sxp.adapters.postgres.exports import EncodedRecords, encode_record_rows
from sxp.pipeline import worker_pool

MIN_PARALLEL_RECORDS = 20_000
Rows = list[dict[str, Any]]
Encoder = Callable[[Iterable[Rows]], Iterator[EncodedRecords]]


def worker_count(cards: int) -> int:
    """Worker processes for a batch of `cards` (0: encode in this process)."""
    return worker_pool.worker_count(cards, MIN_PARALLEL_RECORDS)


@contextmanager
def record_encoder(workers: int) -> Iterator[Encoder]:
    """A function from chunks of batch rows to their encoded records, in order: on `workers`
    processes, or in this one when 0."""
    if workers == 0:
        yield lambda chunks: map(encode_record_rows, chunks)
        return
    with worker_pool.worker_pool(workers) as pool:
        yield lambda chunks: worker_pool.map_in_order(pool, encode_record_rows, chunks, workers)
