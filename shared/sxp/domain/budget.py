"""Credit budgets and prices per provider: pure policy, no settings, no I/O.

A provider's prices are credits per billable unit of a call type (`skip_trace` per matched
request; Apollo's `people_match` per person found, `organization_enrich` per organization
found). The gate reserves, per card, the worst case of one lookup at that provider; the worker
settles what the calls actually billed at the same prices.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

# the call types of each provider's lookup, one of them billed per card at worst
CALL_TYPES: dict[str, tuple[str, ...]] = {
    "skiptrace": ("skip_trace",),
    "apollo": ("people_match", "organization_enrich"),
}


class ProviderBudget(BaseModel):
    """One provider's budget in one environment; None falls back to the environment default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    per_day: int | None = Field(None, ge=0)
    per_run: int | None = Field(None, ge=0)
    prices: dict[str, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)


def lookup_price(provider: str, prices: Mapping[str, int], default: int) -> int:
    """Worst-case credits of one card's lookup: the dearest call type the lookup may bill."""
    types = CALL_TYPES.get(provider, ())
    return max((max(prices.get(t, default), 0) for t in types), default=max(default, 0))


def billed_credits(units: Mapping[str, int], prices: Mapping[str, int], default: int) -> int:
    """Credits of a call that billed `units` per call type."""
    return sum(max(n, 0) * max(prices.get(t, default), 0) for t, n in units.items())
