from __future__ import annotations

import pytest

from sxp.adapters.postgres.breaker import PostgresBreakerStorage
from sxp.adapters.postgres.provider_health import PostgresErrorBudget, provider_health_report
from sxp.adapters.providers.resilience import (
    BUDGET_SPENT,
    RateLimiter,
    ResilientCaller,
    RetryPolicy,
    build_breaker,
)
from sxp.adapters.providers.skiptrace import SkipTraceProvider
from sxp.bootstrap import App
from sxp.errors import ProviderRetryable
from sxp.sandbox import SANDBOX_KEYS, start_sandbox

from .provider_helpers import people


def test_error_budget_pauses_the_adapter_and_status_says_so(app: App) -> None:
    server = start_sandbox("skiptrace")
    budget = PostgresErrorBudget("skiptrace", app.connect, target=0.9, min_calls=4, cache_s=0)
    caller = ResilientCaller(
        "skiptrace",
        limiter=RateLimiter(None),
        breaker=build_breaker(
            "skiptrace", fail_max=50, storage=PostgresBreakerStorage("skiptrace", app.connect)
        ),
        policy=RetryPolicy(max_attempts=3, backoff_initial_s=0.01, backoff_max_s=0.02),
        budget=budget,
    )
    adapter = SkipTraceProvider(server.base_url, SANDBOX_KEYS["skiptrace"], caller=caller)
    try:
        adapter.lookup(people(2))  # 1 ok
        server.plan("500", "503", "500")
        with pytest.raises(ProviderRetryable):
            adapter.lookup(people(2))  # 3 failed: 1/4 ok < 0.9
        calls = server.calls["total"]
        with pytest.raises(ProviderRetryable) as info:
            adapter.lookup(people(2))
        assert info.value.reason_code == BUDGET_SPENT and info.value.retry_after_s
        assert server.calls["total"] == calls  # paused: no HTTP call
        with app.connect() as conn:
            report = provider_health_report(conn, target=0.9, min_calls=4)
        assert report == [
            {
                "provider": "skiptrace",
                "breaker": "closed",
                "calls_last_hour": 4,
                "failed_last_hour": 3,
                "success_ratio": 0.25,
                "paused": True,
            }
        ]
    finally:
        adapter.close()
        server.close()
