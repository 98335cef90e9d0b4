"""Gate policy: which cards may be enriched, and how they fit into batches within a budget.

1. A card is eligible when its execution_label is enrichable, its readiness score and base
   confidence reach the rules file's minimums, and the provider has the inputs it needs.
   Otherwise it gets the first reason that applies: `label_<execution_label>` (e.g.
   `label_hold`, `label_export_only`, `unlabeled`), `low_readiness`, `low_confidence`, or an
   enrichability reason (`no_person_name`, `no_us_location`, `no_domain`).
2. Eligible cards are ordered by the position of their label in `enrichable_labels`, then base
   confidence and readiness (both descending), then card id: the best leads are bought first.
3. With a waterfall of providers (`("skiptrace", "apollo")`) a card is eligible when at least
   one provider can look it up, and it costs the price of a lookup at every provider that can:
   the reservation covers the worst case, the worker releases what it did not spend.
4. Cards are bought in that order while their cost fits the available credits (all of them
   when the price is 0), then cut into batches of `batch_size` (at most 250). The rest are
   `budget_exhausted`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sxp.domain.enrichability import missing_for
from sxp.domain.rules import GatePolicy

BUDGET_EXHAUSTED = "budget_exhausted"
LOW_READINESS = "low_readiness"
LOW_CONFIDENCE = "low_confidence"
UNLABELED = "unlabeled"
MAX_BATCH_CARDS = 250  # the batch contract; sxp.config caps the setting at the same value


@dataclass(frozen=True)
class GateCard:
    card_id: int
    execution_label: str | None
    readiness_score: float
    base_confidence: float
    enrich_inputs: dict[str, Any]


@dataclass
class GatePlan:
    batches: list[list[int]] = field(default_factory=list)
    batch_credits: list[int] = field(default_factory=list)
    ineligible: dict[int, str] = field(default_factory=dict)
    out_of_budget: list[int] = field(default_factory=list)

    @property
    def credits(self) -> int:
        return sum(self.batch_credits)

    @property
    def eligible(self) -> int:
        return self.cards_queued + len(self.out_of_budget)

    @property
    def cards_queued(self) -> int:
        return sum(len(b) for b in self.batches)


def ineligible_reason(card: GateCard, policy: GatePolicy, providers: Sequence[str]) -> str | None:
    """Why no provider of the waterfall may enrich the card, or None when one may."""
    if card.execution_label is None:
        return UNLABELED
    if card.execution_label not in policy.enrichable_labels:
        return f"label_{card.execution_label}"
    if card.readiness_score < policy.min_readiness_score:
        return LOW_READINESS
    if card.base_confidence < policy.min_base_confidence:
        return LOW_CONFIDENCE
    missing = [missing_for(card.enrich_inputs, p) for p in providers]
    if any(not m for m in missing):
        return None
    return missing[0][0]


def lookup_cost(card: GateCard, providers: Sequence[str], price_per_lookup: int) -> int:
    """Worst-case credits: one lookup at every provider of the waterfall that can take the card."""
    usable = sum(1 for p in providers if not missing_for(card.enrich_inputs, p))
    return usable * max(price_per_lookup, 0)


def plan(cards: list[GateCard], policy: GatePolicy, *, providers: Sequence[str],
         available_credits: int, price_per_lookup: int, batch_size: int) -> GatePlan:
    """Split cards into ineligible (with reasons), batches within budget, and out of budget."""
    if not 1 <= batch_size <= MAX_BATCH_CARDS:
        raise ValueError(f"batch size must be 1..{MAX_BATCH_CARDS}, got {batch_size}")
    result = GatePlan()
    eligible: list[GateCard] = []
    for card in cards:
        reason = ineligible_reason(card, policy, providers)
        if reason is None:
            eligible.append(card)
        else:
            result.ineligible[card.card_id] = reason
    rank = {label: i for i, label in enumerate(policy.enrichable_labels)}
    eligible.sort(key=lambda c: (rank.get(c.execution_label or "", len(rank)),
                                 -c.base_confidence, -c.readiness_score, c.card_id))
    left = max(available_credits, 0)
    chosen: list[tuple[int, int]] = []
    for position, card in enumerate(eligible):
        cost = lookup_cost(card, providers, price_per_lookup)
        if cost > left:
            result.out_of_budget = [c.card_id for c in eligible[position:]]
            break
        left -= cost
        chosen.append((card.card_id, cost))
    for start in range(0, len(chosen), batch_size):
        part = chosen[start:start + batch_size]
        result.batches.append([card_id for card_id, _ in part])
        result.batch_credits.append(sum(cost for _, cost in part))
    return result


def available_credits(*, per_run: int, per_day: int, reserved_today: int,
                      released_today: int) -> int:
    """Credits this gate run may reserve: the run budget, capped by what is left of the day."""
    left_today = per_day - reserved_today + released_today
    return max(0, min(per_run, left_today))
