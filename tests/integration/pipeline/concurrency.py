"""Run one call per argument on its own thread, all released at once (races between workers)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

A = TypeVar("A")
R = TypeVar("R")


def run_at_once(call: Callable[[A], R], args: Sequence[A]) -> tuple[list[R], list[BaseException]]:
    """The results of `call(arg)` for every arg (in finishing order) and what they raised."""
    start = threading.Barrier(len(args))
    results: list[R] = []
    errors: list[BaseException] = []

    def run(arg: A) -> None:
        start.wait()
        try:
            results.append(call(arg))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(arg,)) for arg in args]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors
