"""Work on another thread (another connection), its errors handed back to the test."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def in_thread(work: Callable[[], None]) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def waits_for_commit(conn: Any, work: Callable[[], None]) -> list[BaseException]:
    """Run `work` on another thread, see it wait for `conn`'s transaction, commit that, and
    give what `work` raised once it went on."""
    thread, errors = in_thread(work)
    thread.join(0.5)
    assert thread.is_alive(), "did not wait for the open transaction"
    conn.commit()
    thread.join(10)
    assert not thread.is_alive()
    return errors
