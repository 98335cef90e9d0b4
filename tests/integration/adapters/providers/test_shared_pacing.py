"""The provider's send schedule in Postgres holds across limiters that share nothing else
(as separate worker processes and functions do)."""

from __future__ import annotations

import threading
import time

from sxp.adapters.postgres.pacing import PostgresPacing
from sxp.adapters.providers.ratelimit import RateLimiter
from sxp.bootstrap import App

RATE = 40.0
CALLS_EACH = 20


def test_limiters_of_separate_processes_share_one_schedule(app: App) -> None:
    limiters = [RateLimiter(RATE, shared=("skiptrace", PostgresPacing(app.connect)))
                for _ in range(3)]
    sent: list[float] = []
    lock = threading.Lock()

    def call(limiter: RateLimiter) -> None:
        for _ in range(CALLS_EACH):
            limiter.acquire()
            with lock:
                sent.append(time.monotonic())

    threads = [threading.Thread(target=call, args=(lim,)) for lim in limiters]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for limiter in limiters:
        limiter.close()
    sent.sort()
    total = len(sent)
    # together at the one rate, not three times it (each alone would allow RATE per second)
    assert sent[-1] - sent[0] >= (total - 1) / RATE * 0.9
    in_any_second = max(sum(1 for t in sent if s <= t < s + 1.0) for s in sent)
    # the slots are spaced on the server; a thread woken late for its slot (a loaded 2-core
    # machine) can land a send or two inside the next second, so a margin of a tenth: three
    # unshared limiters would put three times RATE there
    assert in_any_second <= RATE * 1.1


def test_a_pause_asked_for_by_the_provider_holds_for_everyone(app: App) -> None:
    first, second = (RateLimiter(RATE, shared=("apollo", PostgresPacing(app.connect)))
                     for _ in range(2))
    first.acquire()
    first._pacer.push_back(time.monotonic() + 0.5)  # a 429 with Retry-After seen by `first`
    started = time.monotonic()
    second.acquire()
    assert time.monotonic() - started >= 0.4
    first.close()
    second.close()
