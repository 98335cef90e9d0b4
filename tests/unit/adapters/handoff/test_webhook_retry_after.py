"""A receiver's `Retry-After`: delta-seconds in ASCII digits or an HTTP date; anything else is
no delay asked for, never an error in the delivery."""

from __future__ import annotations

import pytest

from sxp.adapters.handoff.webhook import retry_after_s


@pytest.mark.parametrize(("header", "seconds"), [
    ("120", 120.0), (" 7 ", 7.0), ("0", 0.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
    (None, None), ("", None), ("soon", None), ("²", None), ("١٢", None), ("-5", None),
])
def test_retry_after_is_seconds_a_date_or_nothing(header: str | None,
                                                  seconds: float | None) -> None:
    assert retry_after_s(header) == seconds
