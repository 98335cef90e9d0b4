"""Adapters wired for tests: tiny backoff, an in-memory breaker, no client-side rate limit."""

from __future__ import annotations

from sxp.adapters.providers.apollo import ApolloProvider
from sxp.adapters.providers.base import LookupRequest
from sxp.adapters.providers.resilience import (
    RateLimiter,
    ResilientCaller,
    RetryPolicy,
    build_breaker,
)
from sxp.adapters.providers.skiptrace import SkipTraceProvider
from sxp.sandbox import SANDBOX_KEYS, SandboxServer


def caller(
    name: str,
    *,
    attempts: int = 4,
    fail_max: int = 50,
    reset_s: float = 30.0,
    max_retry_after_s: float = 30.0,
) -> ResilientCaller:
    return ResilientCaller(
        name,
        limiter=RateLimiter(None),
        breaker=build_breaker(name, fail_max=fail_max, reset_timeout_s=reset_s),
        policy=RetryPolicy(
            max_attempts=attempts,
            max_total_s=20,
            backoff_initial_s=0.01,
            backoff_max_s=0.05,
            max_retry_after_s=max_retry_after_s,
        ),
    )


# adapters built by the helpers below; the conftest closes them after each test
OPEN_ADAPTERS: list[SkipTraceProvider | ApolloProvider] = []


def skiptrace(
    server: SandboxServer, *, key: str | None = None, timeout_s: float = 5.0, **kwargs: float
) -> SkipTraceProvider:
    adapter = SkipTraceProvider(
        server.base_url,
        key or SANDBOX_KEYS["skiptrace"],
        caller=caller("skiptrace", **kwargs),
        timeout_s=timeout_s,
    )  # type: ignore[arg-type]
    OPEN_ADAPTERS.append(adapter)
    return adapter


def apollo(server: SandboxServer, *, key: str | None = None, **kwargs: float) -> ApolloProvider:
    adapter = ApolloProvider(
        server.base_url, key or SANDBOX_KEYS["apollo"], caller=caller("apollo", **kwargs)
    )  # type: ignore[arg-type]
    OPEN_ADAPTERS.append(adapter)
    return adapter


def close_adapters() -> None:
    while OPEN_ADAPTERS:
        OPEN_ADAPTERS.pop().close()


def people(n: int, *, state: str = "TX") -> list[LookupRequest]:
    return [
        LookupRequest(
            card_id=i + 1,
            first_name=f"Tessa{i}",
            last_name="Samplesen",
            city="Austin",
            state=state,
            domain=f"brand{i}.example",
        )
        for i in range(n)
    ]
