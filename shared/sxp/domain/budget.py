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


def budget_view(ledger: Mapping[str, Mapping[str, int]],
                budgets: Mapping[str, tuple[int, int]]) -> dict[str, dict[str, int]]:
    """Today per provider: reserved, spent, released, still held by running batches, the day
    and run budgets and what is left of the day (what the next gate may reserve, at most the
    run budget). `ledger` is today's credits per provider and entry; `budgets` is
    (per_day, per_run) per provider."""
    view = {}
    for name in sorted(set(budgets) | set(ledger)):
        entries = ledger.get(name, {})
        reserved, spent = entries.get("reserve", 0), entries.get("spend", 0)
        released = entries.get("release", 0)
        per_day, per_run = budgets.get(name, (0, 0))
        view[name] = {"reserved": reserved, "spent": spent, "released": released,
                      "held": max(reserved - spent - released, 0), "per_day": per_day,
                      "per_run": per_run, "remaining_today": max(per_day - reserved + released, 0)}
    return view
