"""Chunks of pure work on the parser processes (both cores), their results back in order.

The cards step (`cards_parallel`) and the export (`export_parallel`) hand chunks to worker
processes forked from the parser forkserver (`ingest_parallel.parser_context`, whose preload
has imported what they run) and read the results in the order of the chunks. The chunks are
read on the caller's thread, a few ahead of the result it gets back, so memory holds a few
chunks, never the step.
"""

from __future__ import annotations

import gc
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from multiprocessing.pool import AsyncResult, Pool
from typing import Any, TypeVar

Chunk = TypeVar("Chunk")
Result = TypeVar("Result")


def worker_count(items: int, min_parallel: int) -> int:
    """Worker processes for `items` of work (0: do it in this process, where starting
    workers would cost more than they save, or on one core)."""
    from sxp.pipeline.ingest_parallel import worker_count as cores

    return cores() if items >= min_parallel and cores() > 1 else 0


@contextmanager
def worker_pool(workers: int, initializer: Callable[..., None] | None = None,
                initargs: tuple[Any, ...] = ()) -> Iterator[Pool]:
    """`workers` processes from the parser forkserver, stopped on the way out: let finish
    (their exit finalizers run: the export's close their connections) when the work is done,
    killed when it failed."""
    from sxp.pipeline.ingest_parallel import parser_context

    pool = parser_context().Pool(workers, initializer=initializer, initargs=initargs)
    try:
        yield pool
    except BaseException:
        pool.terminate()
        raise
    else:
        pool.close()
    finally:
        pool.join()


def map_in_order(pool: Pool, work: Callable[[Chunk], Result], chunks: Iterable[Chunk],
                 ahead: int) -> Iterator[Result]:
    """`work` of each chunk on the pool, in the chunks' order, with `ahead` chunks under way
    beyond the one waited for."""
    pending: deque[AsyncResult[Result]] = deque()
    for chunk in chunks:
        pending.append(pool.apply_async(work, (chunk,)))
        if len(pending) > ahead:
            yield pending.popleft().get()
    while pending:
        yield pending.popleft().get()


@contextmanager
def collection_paused() -> Iterator[None]:
    """No cyclic garbage collection while a worker does one chunk: the chunk's objects all
    live until it is done, so collecting them is wasted work (the cards workers' encode took
    about 9% longer with it on, in a heap like theirs)."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
