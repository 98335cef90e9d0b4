"""What keeps a provider call alive against a hostile provider: a client-side rate limiter,
a circuit breaker (pybreaker) and bounded retries with exponential backoff and jitter (tenacity)
that honour Retry-After and retry only 429, 5xx, timeouts, connection errors and bodies that
are not JSON. 401/402/422 are `ProviderFatal`: retrying will not help.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

import httpx
import pybreaker
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
    wait_random,
)

from sxp.adapters.providers.ratelimit import RateLimiter
from sxp.errors import ProviderError, ProviderFatal, ProviderRetryable
from sxp.logs import get_logger

log = get_logger("providers")
__all__ = ["RateLimiter", "ResilientCaller", "RetryPolicy", "build_breaker", "classify"]
T = TypeVar("T")
FATAL_REASONS = {
    401: "provider_unauthorized",
    403: "provider_unauthorized",
    402: "provider_quota_exhausted",
    400: "provider_rejected_request",
    404: "provider_rejected_request",
    422: "provider_rejected_request",
}
CIRCUIT_OPEN = "provider_circuit_open"
BUDGET_SPENT = "provider_error_budget_spent"
WAIT_REASONS = frozenset({CIRCUIT_OPEN, BUDGET_SPENT})  # the job waits; no retry in-process


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    max_total_s: float = 60.0
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 20.0
    max_retry_after_s: float = 30.0


def classify(response: httpx.Response, provider: str) -> Any:
    """The JSON body of a success; a typed error for everything else."""
    status = response.status_code
    if status == 429 or status >= 500:
        retry_after = _retry_after(response.headers.get("Retry-After"))
        reason = "provider_rate_limited" if status == 429 else "provider_unavailable"
        raise ProviderRetryable(
            f"{provider} answered HTTP {status}", reason, status=status, retry_after_s=retry_after
        )
    if status >= 400:
        raise ProviderFatal(
            f"{provider} answered HTTP {status}",
            FATAL_REASONS.get(status, "provider_rejected_request"),
            status=status,
        )
    try:
        return response.json()
    except ValueError:
        raise ProviderRetryable(
            f"{provider} answered HTTP {status} with a body that is not JSON",
            "provider_malformed_response",
            status=status,
        ) from None


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


class ErrorBudget(Protocol):
    """Outcome counts shared by every worker; `spent()` pauses the adapter."""

    def record(self, ok: bool) -> None: ...

    def spent(self) -> bool: ...

    def close(self) -> None: ...


class ResilientCaller:
    """Runs one provider call through limiter, breaker and retries; logs no bodies."""

    def __init__(
        self,
        provider: str,
        *,
        limiter: RateLimiter,
        breaker: pybreaker.CircuitBreaker,
        policy: RetryPolicy,
        budget: ErrorBudget | None = None,
        pause_s: float = 300.0,
    ) -> None:
        self.provider = provider
        self.limiter = limiter
        self.breaker = breaker
        self.policy = policy
        self.budget = budget
        self.pause_s = pause_s

    def call(self, send: Callable[[], httpx.Response], *, records: int) -> tuple[int, Any]:
        retrying = Retrying(
            stop=stop_after_attempt(self.policy.max_attempts)
            | stop_after_delay(self.policy.max_total_s),
            wait=self._wait,
            retry=retry_if_exception(_should_retry),
            reraise=True,
        )
        result: tuple[int, Any] = retrying(self._attempt, send, records)
        return result

    def close(self) -> None:
        close = getattr(getattr(self.breaker, "_state_storage", None), "close", None)
        if callable(close):
            close()
        self.limiter.close()
        if self.budget is not None:
            self.budget.close()

    def _attempt(self, send: Callable[[], httpx.Response], records: int) -> tuple[int, Any]:
        self._check_circuit()
        if self.budget is not None and self.budget.spent():
            raise ProviderRetryable(
                f"{self.provider} error budget spent: paused",
                BUDGET_SPENT,
                retry_after_s=self.pause_s,
            )
        self.limiter.acquire()
        started = time.monotonic()
        status: int | None = None
        try:
            try:
                response = _send_once(send, self.provider)
            except ProviderRetryable as exc:
                status = exc.status
                self._count(ok=False)
                self._record(exc)
                raise
            status = response.status_code
            self._record(None)
            try:
                body = classify(response, self.provider)
            except ProviderRetryable:
                self._count(ok=False)
                raise
            self._count(ok=True)
            return status, body
        finally:
            log.info(
                "provider call",
                extra={
                    "provider": self.provider,
                    "status_code": status,
                    "records": records,
                    "latency_ms": round((time.monotonic() - started) * 1000, 1),
                },
            )

    def _count(self, *, ok: bool) -> None:
        if self.budget is not None:
            self.budget.record(ok)

    def _check_circuit(self) -> None:
        """Fail fast while open; after the reset timeout let calls through as trials.

        The HTTP exchange itself runs outside the breaker: pybreaker holds a lock for the whole
        of `breaker.call`, which would serialize every concurrent provider call."""
        if self.breaker.current_state != pybreaker.STATE_OPEN:
            return
        opened_at = self.breaker._state_storage.opened_at  # noqa: SLF001 - no public accessor
        reset = timedelta(seconds=float(self.breaker.reset_timeout))
        if opened_at is None or datetime.now(UTC) < opened_at + reset:
            raise ProviderRetryable(
                f"{self.provider} circuit is open",
                CIRCUIT_OPEN,
                retry_after_s=float(self.breaker.reset_timeout),
            )

    def _record(self, failure: ProviderRetryable | None) -> None:
        """Tell the breaker how the exchange went (counts, trips, closes after a trial)."""
        try:
            if failure is None:
                self.breaker.call(_succeed)
            else:
                self.breaker.call(_reraise, failure)
        except pybreaker.CircuitBreakerError:
            if failure is not None:
                raise ProviderRetryable(
                    f"{self.provider} circuit opened",
                    CIRCUIT_OPEN,
                    status=failure.status,
                    retry_after_s=float(self.breaker.reset_timeout),
                ) from None

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, ProviderError) and exc.retry_after_s is not None:
            return min(exc.retry_after_s, self.policy.max_retry_after_s)
        # exponential from backoff_initial_s, capped, plus up to a second of jitter (tenacity's
        # wait_exponential_jitter took `initial`, which it has since deprecated)
        backoff = wait_exponential(multiplier=self.policy.backoff_initial_s,
                                   max=self.policy.backoff_max_s) + wait_random(0, 1)
        return float(backoff(state))


def _succeed() -> None:
    return None


def _reraise(exc: ProviderRetryable) -> None:
    raise exc


def _send_once(send: Callable[[], httpx.Response], provider: str) -> httpx.Response:
    """One HTTP exchange; 429, 5xx, timeouts and connection errors raise ProviderRetryable."""
    try:
        response = send()
    except httpx.TimeoutException:
        raise ProviderRetryable(f"{provider} timed out", "provider_timeout") from None
    except httpx.TransportError as exc:
        raise ProviderRetryable(
            f"{provider} unreachable: {type(exc).__name__}", "provider_unreachable"
        ) from None
    if response.status_code == 429 or response.status_code >= 500:
        classify(response, provider)
    return response


def _should_retry(exc: BaseException) -> bool:
    return isinstance(exc, ProviderRetryable) and exc.reason_code not in WAIT_REASONS


def build_breaker(
    provider: str,
    *,
    fail_max: int = 5,
    reset_timeout_s: float = 30.0,
    storage: pybreaker.CircuitBreakerStorage | None = None,
) -> pybreaker.CircuitBreaker:
    """Only retryable failures are reported to the breaker; a 401 says nothing about health."""
    return pybreaker.CircuitBreaker(
        fail_max=fail_max,
        reset_timeout=reset_timeout_s,
        state_storage=storage,
        name=provider,
        throw_new_error_on_trip=True,
    )
