"""The delivery policy: what an attempt's status means, and when the next attempt goes; and
the versions file's lines."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest

from sxp.domain.handoff import (
    DEFAULT_RETRY_SCHEDULE_S,
    CardVersion,
    VersionRow,
    retry_delay_s,
    verdict_of,
    version_lines,
)

SCHEDULE = (5.0, 300.0, 1800.0)


@pytest.mark.parametrize(("status", "attempts", "verdict"), [
    (200, 1, "delivered"), (204, 9, "delivered"), (410, 1, "paused"),
    (503, 1, "retry"), (None, 3, "retry"), (429, 3, "retry"), (408, 2, "retry"),
    (500, 4, "dead"),             # the schedule's three waits are spent: four attempts in all
    (400, 1, "retry"), (400, 2, "retry"), (400, 3, "dead"), (301, 3, "dead"),
])
def test_verdict_of_an_attempt(status: int | None, attempts: int, verdict: str) -> None:
    assert verdict_of(status, attempts, SCHEDULE) == verdict


def test_retry_delays_follow_the_schedule_with_jitter_and_honour_retry_after() -> None:
    rng = random.Random(1)
    for attempt, step in enumerate(SCHEDULE, start=1):
        for _ in range(50):
            assert 0.9 * step <= retry_delay_s(attempt, SCHEDULE, rng=rng) <= 1.1 * step
    assert retry_delay_s(9, SCHEDULE, rng=rng) <= 1.1 * SCHEDULE[-1]  # stays on the last step
    assert retry_delay_s(1, SCHEDULE, retry_after_s=120, rng=rng) == 120
    assert retry_delay_s(1, SCHEDULE, retry_after_s=1, rng=rng) >= 4.5


def test_the_default_schedule_spans_more_than_a_day() -> None:
    assert sum(DEFAULT_RETRY_SCHEDULE_S) * 0.9 > 24 * 3600


def test_version_lines_are_the_bytes_the_model_dumps() -> None:
    erased = datetime(2026, 11, 2, 3, 4, 5, 678901, tzinfo=UTC)
    rows = [VersionRow(1, 1, None, "record", None, None),
            VersionRow(2, 3, 2, "record", None, None),
            VersionRow(3, 2, 2, "withdrawal", "filter", None),
            VersionRow(4, 5, 4, "withdrawal", "erased", erased),
            VersionRow(5, 1, None, "withdrawal", "erased", erased.astimezone(
                timezone(timedelta(hours=-5))))]
    expected = b"".join(orjson.dumps(CardVersion(**row._asdict()).model_dump()) + b"\n"
                        for row in rows)
    assert version_lines(rows) == expected
    assert [CardVersion.model_validate_json(line) for line in expected.splitlines()] == [
        CardVersion(**row._asdict()) for row in rows]
    assert version_lines([]) == b""
