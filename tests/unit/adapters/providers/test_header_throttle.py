from __future__ import annotations

import time

import pytest

from sxp.adapters.providers.throttle import HeaderThrottle


def test_plenty_left_means_no_slowing() -> None:
    throttle = HeaderThrottle()
    throttle.observe(200, {"x-rate-limit-minute": "1000", "x-minute-requests-left": "900"})
    assert throttle.interval == 0 and throttle.wait() == 0


def test_little_left_spreads_the_rest_over_the_window() -> None:
    throttle = HeaderThrottle(reserve=0.1)
    throttle.observe(200, {"x-rate-limit-minute": "1000", "x-minute-requests-left": "50"})
    assert throttle.interval == pytest.approx(60 / 50)
    throttle.observe(200, {"x-rate-limit-minute": "1000", "x-minute-requests-left": "400"})
    assert throttle.interval == 0  # the window refilled


def test_the_tightest_window_wins() -> None:
    throttle = HeaderThrottle(reserve=0.1)
    throttle.observe(200, {"x-rate-limit-minute": "1000", "x-minute-requests-left": "900",
                           "x-rate-limit-hourly": "6000", "x-hourly-requests-left": "360"})
    assert throttle.interval == pytest.approx(3600 / 360)


def test_generic_remaining_and_reset_headers() -> None:
    throttle = HeaderThrottle(reserve=0.2)
    throttle.observe(200, {"x-rate-limit-limit": "100", "x-rate-limit-remaining": "10",
                           "x-rate-limit-reset": "5"})
    assert throttle.interval == pytest.approx(0.5)  # 10 left over the 5 s before the reset
    throttle.observe(200, {"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0",
                           "x-rate-limit-reset": str(time.time() + 0.2)})
    assert 0.05 < throttle.wait() <= 0.25  # epoch reset: wait for it


def test_a_429_pauses_for_retry_after() -> None:
    throttle = HeaderThrottle()
    throttle.observe(429, {"Retry-After": "0.2", "x-minute-requests-left": "0",
                           "x-rate-limit-minute": "1000"})
    assert throttle.wait() == pytest.approx(0.2, abs=0.05)
    assert throttle.wait() == 0  # once


def test_garbage_headers_are_ignored() -> None:
    throttle = HeaderThrottle()
    throttle.observe(200, {"x-minute-requests-left": "lots", "x-rate-limit-remaining": ""})
    assert throttle.interval == 0 and throttle.wait() == 0
