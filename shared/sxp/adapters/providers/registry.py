"""The enrichment providers sxp knows and how one is assembled from its settings.

`build_resilient_provider` puts an adapter behind its rate limiter, circuit breaker (state
shared in Postgres), retry policy and error budget. Which base URL and key it gets, and the
sandbox emulator of the embedded default, are decided by `sxp.bootstrap` (the one place that
wires adapters).
"""

from __future__ import annotations

from typing import Any

from sxp.adapters.postgres.breaker import PostgresBreakerStorage
from sxp.adapters.postgres.connection import ConnectionFactory
from sxp.adapters.postgres.pacing import PostgresPacing
from sxp.adapters.postgres.provider_health import PostgresErrorBudget
from sxp.adapters.providers.apollo import ApolloProvider
from sxp.adapters.providers.base import EnrichmentProvider
from sxp.adapters.providers.resilience import (
    RateLimiter,
    ResilientCaller,
    RetryPolicy,
    build_breaker,
)
from sxp.adapters.providers.skiptrace import SkipTraceProvider
from sxp.config import Settings
from sxp.errors import ConfigError

PROVIDERS: dict[str, Any] = {"skiptrace": SkipTraceProvider, "apollo": ApolloProvider}


def check_known(name: str) -> None:
    if name not in PROVIDERS:
        raise ConfigError(f"unknown enrichment provider: {name} (known: {sorted(PROVIDERS)})",
                          "unknown_provider")


def build_resilient_provider(settings: Settings, connect: ConnectionFactory, name: str,
                             base_url: str, api_key: str, rate_per_s: float | None = None
                             ) -> EnrichmentProvider:
    check_known(name)
    rate = rate_per_s or float(getattr(settings, f"{name}_rate_per_s"))
    policy = RetryPolicy(max_attempts=settings.provider_max_attempts,
                         max_total_s=max(30.0, settings.provider_timeout_s * 3))
    breaker = build_breaker(name, fail_max=settings.breaker_fail_max,
                            reset_timeout_s=settings.breaker_reset_s,
                            storage=PostgresBreakerStorage(name, connect))
    # one send schedule for the provider across every process calling it (PostgresPacing)
    limiter = RateLimiter(rate, shared=(name, PostgresPacing(connect)))
    caller = ResilientCaller(
        name, limiter=limiter, breaker=breaker, policy=policy,
        budget=PostgresErrorBudget(name, connect, target=settings.error_budget_target,
                                   min_calls=settings.error_budget_min_calls),
        pause_s=settings.error_budget_pause_s)
    adapter: EnrichmentProvider = PROVIDERS[name](base_url, api_key, caller=caller,
                                                  timeout_s=settings.provider_timeout_s)
    return adapter


def bulk_calls(name: str, cards: int) -> int:
    """Worst-case HTTP calls to look `cards` cards up at `name` (Apollo may follow a people
    bulk_match with an organizations bulk_enrich for the same chunk)."""
    if cards <= 0 or name not in PROVIDERS:
        return 0
    chunks = -(-cards // int(PROVIDERS[name].max_batch))
    return chunks * (2 if name == "apollo" else 1)
