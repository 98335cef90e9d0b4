"""Slow an adapter down by what the provider says is left of its rate windows.

Apollo answers every call with `x-minute-requests-left` / `x-rate-limit-minute` (and the
`hourly` and `24-hour` pairs); other APIs use `x-rate-limit-remaining` / `x-rate-limit-limit` /
`x-rate-limit-reset`; a 429 carries `Retry-After`. `HeaderThrottle.observe` reads them after
every exchange and `wait` spaces the next sends: nothing while more than `reserve` of a window
is left; once less is left, the remaining requests are spread over the window (one per
window/left seconds), so a shared or misjudged quota slows the adapter before it hits the limit;
with nothing left (or after a 429) it pauses until the provider says the window reopens.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping

from sxp.adapters.providers.ratelimit import Pacer

WINDOWS = {"minute": 60.0, "hourly": 3600.0, "24-hour": 86400.0}
EPOCH_THRESHOLD = 1_000_000_000  # an x-rate-limit-reset past this is a Unix time, not seconds


class HeaderThrottle:
    def __init__(self, *, reserve: float = 0.1, windows: Mapping[str, float] | None = None,
                 max_pause_s: float = 60.0) -> None:
        self.reserve = reserve
        self.windows = dict(WINDOWS if windows is None else windows)
        self.max_pause_s = max_pause_s
        self._pacer = Pacer()

    @property
    def interval(self) -> float:
        return self._pacer.interval

    def wait(self) -> float:
        """Sleep until the next send is allowed; returns the seconds slept."""
        return self._pacer.wait()

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        headers = {k.lower(): v for k, v in headers.items()}
        interval, pause = 0.0, 0.0
        for left, limit, window_s, reset_s in self._quotas(headers):
            if left <= 0:  # spent: wait for the reset, or one request's share of the window
                share = window_s / limit if limit > 0 else 1.0
                pause = max(pause, reset_s if reset_s is not None else share)
            elif left <= max(1, math.ceil((limit or left) * self.reserve)):
                interval = max(interval, window_s / left)
        retry_after = _number(headers.get("retry-after"))
        if status == 429:  # the provider's own word on when to come back wins
            pause = retry_after if retry_after is not None else max(pause, 1.0)
        self._pacer.interval = min(interval, self.max_pause_s)
        if pause:
            self._pacer.push_back(time.monotonic() + min(pause, self.max_pause_s))

    def _quotas(self, headers: Mapping[str, str]
                ) -> list[tuple[float, float, float, float | None]]:
        """(left, limit, window seconds, seconds to reset or None) per window announced."""
        out: list[tuple[float, float, float, float | None]] = []
        for name, window_s in self.windows.items():
            left = _number(headers.get(f"x-{name}-requests-left"))
            if left is not None:
                limit = _number(headers.get(f"x-rate-limit-{name}")) or 0.0
                out.append((left, limit, window_s, None))
        left = _number(headers.get("x-rate-limit-remaining"))
        if left is not None:
            limit = _number(headers.get("x-rate-limit-limit")) or 0.0
            reset = _number(headers.get("x-rate-limit-reset"))
            if reset is not None and reset > EPOCH_THRESHOLD:
                reset = max(0.0, reset - time.time())
            out.append((left, limit, reset or self.windows.get("minute", 60.0), reset))
        return out


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None
