"""Periodic tasks: slots and periods."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sxp.domain.periodic import check_periods, seconds_to_next_slot, slot_start


def test_slots_are_cut_from_the_epoch_so_every_instance_agrees() -> None:
    moment = datetime(2026, 12, 2, 10, 7, 31, tzinfo=UTC)
    assert slot_start(moment, 300) == datetime(2026, 12, 2, 10, 5, tzinfo=UTC)
    assert slot_start(moment, 86400) == datetime(2026, 12, 2, tzinfo=UTC)
    assert slot_start(datetime(2026, 12, 2, 10, 5, tzinfo=UTC), 300) == datetime(
        2026, 12, 2, 10, 5, tzinfo=UTC)


def test_next_slot_is_the_earliest_of_the_tasks() -> None:
    moment = datetime(2026, 12, 2, 10, 7, 30, tzinfo=UTC)
    assert seconds_to_next_slot(moment, {"scan": 300, "export": 900}) == 150
    assert seconds_to_next_slot(moment, {}) == 60


def test_periods_are_checked() -> None:
    assert check_periods({"scan": 60}) == {"scan": 60}
    with pytest.raises(ValueError, match="unknown periodic task"):
        check_periods({"scna": 60})
    with pytest.raises(ValueError, match="at most every 10 s"):
        check_periods({"export": 1})
