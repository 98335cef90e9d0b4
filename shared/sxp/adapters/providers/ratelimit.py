"""Client-side rate limiter per provider, set below the plan's limit so the steady state sees
no 429 at all. With a shared schedule (`SharedPacer`) the spacing holds across every process
that calls the provider (worker instances, functions), not only across this one's threads."""

from __future__ import annotations

import collections
import math
import threading
import time
from typing import Protocol


class Pacer:
    """Evenly spaced send slots, `interval` seconds apart, shared by threads; `push_back`
    delays the next slot (a provider that asked to pause)."""

    def __init__(self, interval: float = 0.0) -> None:
        self.interval = interval
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> float:
        """Sleep until this caller's slot; returns the seconds slept."""
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            time.sleep(slot - now)
        return max(slot - now, 0.0)

    def push_back(self, until: float) -> None:
        with self._lock:
            self._next = max(self._next, until)


class Schedule(Protocol):
    """Where the provider's send slots are kept for every process (`PostgresPacing`)."""

    def reserve(self, provider: str, interval_s: float) -> float: ...

    def push_back(self, provider: str, pause_s: float) -> None: ...

    def close(self) -> None: ...


class SharedPacer(Pacer):
    """Evenly spaced send slots of one provider across processes: each call reserves the
    schedule's next slot and sleeps until it."""

    def __init__(self, provider: str, interval: float, schedule: Schedule) -> None:
        super().__init__(interval)
        self.provider, self.schedule = provider, schedule

    def wait(self) -> float:
        wait_s = self.schedule.reserve(self.provider, self.interval)
        if wait_s > 0:
            time.sleep(wait_s)
        return wait_s

    def push_back(self, until: float) -> None:
        self.schedule.push_back(self.provider, max(until - time.monotonic(), 0.0))


class RateLimiter:
    """At most `rate_per_s` calls per second, shared by every thread using this adapter.

    Calls are spaced evenly, and a sliding-window guard over actual send times (slightly wider
    than a second) makes sure a late thread never lets a burst past the provider's window."""

    def __init__(self, rate_per_s: float | None, *, window_margin: float = 1.02,
                 shared: tuple[str, Schedule] | None = None) -> None:
        self.interval = 1.0 / rate_per_s if rate_per_s else 0.0
        self.max_in_window = max(1, math.ceil(rate_per_s)) if rate_per_s else 0
        self.window_s = window_margin
        # across processes the local window guard sees only this one's sends: the shared
        # slots keep the spacing, and the headroom of the configured rate below the plan's
        # (SKIPTRACE_RATE_PER_S 45 of BatchData's 50) absorbs a send that lands late
        self._pacer = Pacer(self.interval) if shared is None else SharedPacer(
            shared[0], self.interval, shared[1])
        self._sent: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def close(self) -> None:
        if isinstance(self._pacer, SharedPacer):
            self._pacer.schedule.close()

    def acquire(self) -> None:
        if not self.interval:
            return
        self._pacer.wait()
        while True:
            with self._lock:
                now = time.monotonic()
                while self._sent and now - self._sent[0] >= self.window_s:
                    self._sent.popleft()
                if len(self._sent) < self.max_in_window:
                    self._sent.append(now)
                    return
                wait = self._sent[0] + self.window_s - now
            time.sleep(max(wait, 0.001))
