"""Encode an export batch's rows as record lines: on both cores for a large batch.

Building and validating a record (`exports.record_from_row`, pydantic) and writing its JSON
is pure Python per card and most of the export's time, so a large batch hands chunks of rows
to worker processes (`process_pool.ordered_map`) and gets the lines back in order; a small
one encodes in process. Either way the lines are the same, in the same order, so the bundle's
bytes are too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sxp.adapters.postgres.exports import EncodedRows, PointFilter, encode_rows

Rows = list[dict[str, Any]]
Encoder = Callable[[Iterable[Rows]], Iterator[EncodedRows]]
MIN_PARALLEL_RECORDS = 20_000

_worker_filter: PointFilter | None = None  # the export's suppression list, in a worker


def _start_worker(suppressed: PointFilter | None) -> None:
    global _worker_filter
    _worker_filter = suppressed


def _encode_in_worker(rows: Rows) -> EncodedRows:
    return encode_rows(rows, suppressed=_worker_filter)


def worker_count(records: int) -> int:
    """Worker processes for a batch of `records` (0: encode in this process)."""
    from sxp.pipeline.ingest_parallel import worker_count as cores

    return cores() if records >= MIN_PARALLEL_RECORDS and cores() > 1 else 0


@contextmanager
def record_encoder(suppressed: PointFilter | None, workers: int) -> Iterator[Encoder]:
    """A function from chunks of batch rows to their encoded lines, in order: on `workers`
    processes, or in this one when 0. `suppressed` must pickle for workers."""
    if workers == 0:
        def in_process(chunks: Iterable[Rows]) -> Iterator[EncodedRows]:
            return (encode_rows(rows, suppressed=suppressed) for rows in chunks)

        yield in_process
        return
    from sxp.pipeline.process_pool import ordered_map

    with ordered_map(_encode_in_worker, workers, initializer=_start_worker,
                     initargs=(suppressed,)) as on_workers:
        yield on_workers
