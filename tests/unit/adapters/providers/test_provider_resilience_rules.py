from __future__ import annotations

import httpx
import pytest

from sxp.adapters.postgres.provider_health import _spent
from sxp.adapters.providers.resilience import RateLimiter, classify
from sxp.errors import ProviderFatal, ProviderRetryable


def _response(
    status: int, body: bytes = b"{}", headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(status, content=body, headers=headers or {})


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (401, "provider_unauthorized"),
        (402, "provider_quota_exhausted"),
        (422, "provider_rejected_request"),
        (400, "provider_rejected_request"),
    ],
)
def test_fatal_statuses(status: int, reason: str) -> None:
    with pytest.raises(ProviderFatal) as info:
        classify(_response(status), "skiptrace")
    assert info.value.reason_code == reason and info.value.status == status


def test_retryable_statuses_carry_retry_after() -> None:
    with pytest.raises(ProviderRetryable) as info:
        classify(_response(429, headers={"Retry-After": "7"}), "apollo")
    assert info.value.retry_after_s == 7.0 and info.value.reason_code == "provider_rate_limited"
    with pytest.raises(ProviderRetryable) as info:
        classify(_response(503, headers={"Retry-After": "soon"}), "apollo")
    assert info.value.retry_after_s is None and info.value.reason_code == "provider_unavailable"


def test_body_that_is_not_json_is_retryable() -> None:
    with pytest.raises(ProviderRetryable) as info:
        classify(_response(200, b'{"results": ['), "skiptrace")
    assert info.value.reason_code == "provider_malformed_response"
    assert classify(_response(200, b'{"ok": 1}'), "skiptrace") == {"ok": 1}


def test_error_budget_rule() -> None:
    assert not _spent(ok=5, failed=5, target=0.99, min_calls=100)  # too few calls to judge
    assert not _spent(ok=990, failed=10, target=0.99, min_calls=100)
    assert _spent(ok=989, failed=11, target=0.99, min_calls=100)


def test_rate_limiter_window_allows_the_plan_rate() -> None:
    limiter = RateLimiter(9.7)
    assert limiter.max_in_window == 10 and limiter.window_s > 1.0
    assert RateLimiter(None).interval == 0.0
