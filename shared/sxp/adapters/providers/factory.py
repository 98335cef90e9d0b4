"""Build provider adapters from settings, once per App.

With `<name>_base_url` unset (the embedded default) the sandbox emulator for that provider is
started on loopback and the adapter points at it.
"""

from __future__ import annotations

from typing import Any

from sxp.adapters.providers.apollo import ApolloProvider
from sxp.adapters.providers.base import EnrichmentProvider
from sxp.adapters.providers.resilience import (
    RateLimiter,
    ResilientCaller,
    RetryPolicy,
    build_breaker,
)
from sxp.adapters.providers.skiptrace import SkipTraceProvider
from sxp.bootstrap import App
from sxp.errors import ConfigError

PROVIDERS: dict[str, Any] = {"skiptrace": SkipTraceProvider, "apollo": ApolloProvider}


def build_provider(app: App, name: str, *, rate_per_s: float | None = None) -> EnrichmentProvider:
    """The App's adapter for `name` (built on first use; `rate_per_s` applies to that build)."""
    if name not in PROVIDERS:
        raise ConfigError(f"unknown enrichment provider: {name}", "unknown_provider")
    base_url: str | None = getattr(app.settings, f"{name}_base_url")
    api_key: str = getattr(app.settings, f"{name}_api_key")
    if base_url is None:  # embedded default: the sandbox emulator on loopback
        from sxp.sandbox import start_sandbox

        sandbox = app.cached(f"sandbox:{name}", lambda: start_sandbox(name, api_key=api_key))
        base_url = sandbox.base_url
    url: str = base_url
    provider: EnrichmentProvider = app.cached(
        f"provider:{name}", lambda: _build(app, name, url, api_key, rate_per_s)
    )
    return provider


def _build(
    app: App, name: str, base_url: str, api_key: str, rate_per_s: float | None
) -> EnrichmentProvider:
    settings = app.settings
    rate = rate_per_s or float(getattr(settings, f"{name}_rate_per_s"))
    policy = RetryPolicy(
        max_attempts=settings.provider_max_attempts,
        max_total_s=max(30.0, settings.provider_timeout_s * 3),
    )
    from sxp.adapters.postgres.provider_health import PostgresErrorBudget

    caller = ResilientCaller(
        name,
        limiter=RateLimiter(rate),
        breaker=_breaker(app, name),
        policy=policy,
        budget=PostgresErrorBudget(name, app.connect, target=settings.error_budget_target,
                                   min_calls=settings.error_budget_min_calls),
        pause_s=settings.error_budget_pause_s,
    )
    adapter: EnrichmentProvider = PROVIDERS[name](
        base_url, api_key, caller=caller, timeout_s=settings.provider_timeout_s
    )
    return adapter


def _breaker(app: App, name: str) -> Any:
    """Breaker state shared by every worker through Postgres (pybreaker storage interface)."""
    from sxp.adapters.postgres.breaker import PostgresBreakerStorage

    return build_breaker(name, fail_max=app.settings.breaker_fail_max,
                         reset_timeout_s=app.settings.breaker_reset_s,
                         storage=PostgresBreakerStorage(name, app.connect))


def bulk_calls(name: str, cards: int) -> int:
    """Worst-case HTTP calls to look `cards` cards up at `name` (Apollo may follow a people
    bulk_match with an organizations bulk_enrich for the same chunk)."""
    if cards <= 0 or name not in PROVIDERS:
        return 0
    chunks = -(-cards // int(PROVIDERS[name].max_batch))
    return chunks * (2 if name == "apollo" else 1)
