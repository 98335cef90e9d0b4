"""Periodic tasks of the worker: what runs every how many seconds, and the slot a moment
falls in (pure; `sxp.pipeline.periodic` claims and runs the slots)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

# the tasks a worker can run on a period, and the App Platform specs' periods for them
TASKS = ("scan", "export", "retention")
DEFAULT_PERIODS_S = {"scan": 300, "export": 900, "retention": 86400}
MIN_PERIOD_S = 10


def check_periods(periods: Mapping[str, int]) -> dict[str, int]:
    """The periods as given, or a ValueError naming what is wrong."""
    unknown = sorted(set(periods) - set(TASKS))
    if unknown:
        raise ValueError(f"unknown periodic task(s) {unknown} (known: {list(TASKS)})")
    short = sorted(name for name, every in periods.items() if every < MIN_PERIOD_S)
    if short:
        raise ValueError(f"periodic task(s) {short} run at most every {MIN_PERIOD_S} s")
    return dict(periods)


def slot_start(moment: datetime, every_s: int) -> datetime:
    """The start of the slot of `every_s` seconds (counted from the Unix epoch) holding
    `moment`."""
    seconds = int(moment.timestamp())
    return datetime.fromtimestamp(seconds - seconds % every_s, tz=UTC)


def seconds_to_next_slot(moment: datetime, periods: Mapping[str, int]) -> float:
    """How long until the earliest of the tasks' next slots begins."""
    now = moment.timestamp()
    return min(every - now % every for every in periods.values()) if periods else 60.0
