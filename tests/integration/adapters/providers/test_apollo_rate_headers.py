"""The Apollo adapter reads Apollo's rate-limit headers and slows itself before the limit."""

from __future__ import annotations

import time

from sxp.adapters.providers.apollo import ApolloProvider
from sxp.adapters.providers.throttle import HeaderThrottle
from sxp.sandbox import SANDBOX_KEYS, start_sandbox

from .provider_helpers import caller, people

QUOTA, WINDOW_S = 20, 2.0  # Apollo's per-minute quota, on a 2 s "minute" to keep tests fast


def _adapter(base_url: str, throttle: HeaderThrottle) -> ApolloProvider:
    return ApolloProvider(base_url, SANDBOX_KEYS["apollo"],
                          caller=caller("apollo", max_retry_after_s=5.0), throttle=throttle)


def _lookups(adapter: ApolloProvider, n: int) -> float:
    requests = [r.model_copy(update={"domain": None}) for r in people(n)]  # people only
    started = time.monotonic()
    for request in requests:
        assert len(adapter.lookup([request]).results) == 1
    return time.monotonic() - started


def test_headers_slow_the_adapter_before_the_quota_so_no_429() -> None:
    srv = start_sandbox("apollo", minute_limit=QUOTA, minute_window_s=WINDOW_S)
    throttle = HeaderThrottle(reserve=0.25, windows={"minute": WINDOW_S})
    adapter = _adapter(srv.base_url, throttle)
    try:
        elapsed = _lookups(adapter, 35)
    finally:
        adapter.close()
        srv.close()
    assert srv.calls["status:429"] == 0
    assert srv.calls["/api/v1/people/bulk_match"] == 35
    assert elapsed >= WINDOW_S  # 35 calls against 20 per window had to be spread out


def test_without_reading_headers_the_same_run_hits_429() -> None:
    srv = start_sandbox("apollo", minute_limit=QUOTA, minute_window_s=WINDOW_S)
    blind = HeaderThrottle(windows={})  # reads no window; still honours a 429's Retry-After
    adapter = _adapter(srv.base_url, blind)
    try:
        _lookups(adapter, 35)
    finally:
        adapter.close()
        srv.close()
    assert srv.calls["status:429"] >= 1  # the emulator enforces the quota it announces


def test_emulator_counts_the_quota_down_in_its_headers() -> None:
    import httpx

    srv = start_sandbox("apollo", minute_limit=3, minute_window_s=30)
    with httpx.Client(base_url=srv.base_url,
                      headers={"X-Api-Key": SANDBOX_KEYS["apollo"]}) as client:
        replies = [client.get("/api/v1/organizations/enrich", params={"domain": "x.example"})
                   for _ in range(4)]
    srv.close()
    assert [r.headers["x-minute-requests-left"] for r in replies] == ["2", "1", "0", "0"]
    assert [r.status_code for r in replies] == [200, 200, 200, 429]
    assert replies[0].headers["x-rate-limit-minute"] == "3"
    assert float(replies[3].headers["Retry-After"]) >= 1
