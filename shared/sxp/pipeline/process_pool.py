"""Chunks of work on worker processes, results in order (the cards and export encoders).

The workers are forked from the parsers' forkserver (`ingest_parallel.parser_context`), which
preloads what they run (`parser_preload`). Chunks are read on the caller's thread, a few ahead
of the result it gets back, so one connection can serve the reads and the writes and memory
holds a few chunks, never the step.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from multiprocessing.pool import AsyncResult
from typing import Any, TypeVar

A = TypeVar("A")
R = TypeVar("R")


@contextmanager
def ordered_map(task: Callable[[A], R], workers: int, *,
                initializer: Callable[..., None] | None = None,
                initargs: tuple[Any, ...] = ()) -> Iterator[Callable[[Iterable[A]], Iterator[R]]]:
    """A function from chunks to `task`'s results, in order, on `workers` processes (each
    started with `initializer(*initargs)`); `task` and its chunks must pickle."""
    from sxp.pipeline.ingest_parallel import parser_context

    pool = parser_context().Pool(workers, initializer=initializer, initargs=initargs)
    try:
        def on_workers(chunks: Iterable[A]) -> Iterator[R]:
            pending: deque[AsyncResult[R]] = deque()
            for chunk in chunks:
                pending.append(pool.apply_async(task, (chunk,)))
                if len(pending) > workers:
                    yield pending.popleft().get()
            while pending:
                yield pending.popleft().get()

        yield on_workers
    finally:
        pool.terminate()
        pool.join()
