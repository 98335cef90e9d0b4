"""Gate policy: which cards may be enriched, and how they fit into batches within a budget.

1. A card is eligible when its execution_label is enrichable, its readiness score and base
   confidence reach the rules file's minimums, and the provider has the inputs it needs.
   Otherwise it gets the first reason that applies: `label_<execution_label>` (e.g.
   `label_hold`, `label_export_only`, `unlabeled`), `low_readiness`, `low_confidence`, or an
   enrichability reason (`no_person_name`, `no_us_location`, `no_domain`).
2. Eligible cards are ordered by the position of their label in `enrichable_labels`, then base
   confidence and readiness (both descending), then card id: the best leads are bought first.
   `Allocator` takes cards one by one in that order, so the gate can stream millions of cards
   and hold only the ones it buys; it stops at the first card the budget cannot afford.
3. With a waterfall of providers (`("skiptrace", "apollo")`) a card is eligible when at least
   one provider can look it up, and it costs the worst-case price of a lookup at every provider
   that can (each provider's own price): the reservation covers the worst case, the worker
   releases what it did not spend.
4. Budgets are per provider. Cards are bought in that order while their cost at every provider
   fits that provider's available credits (all of them when the prices are 0), then cut into
   batches of `batch_size` (at most 250). The rest are `budget_exhausted`. A plain int for the
   credits or the price applies to every provider.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sxp.domain.enrichability import missing_for
from sxp.domain.rules import GatePolicy

BUDGET_EXHAUSTED = "budget_exhausted"
LOW_READINESS = "low_readiness"
LOW_CONFIDENCE = "low_confidence"
UNLABELED = "unlabeled"
MAX_BATCH_CARDS = 250  # the batch contract; sxp.config caps the setting at the same value
PerProvider = int | Mapping[str, int]


def per_provider(value: PerProvider, providers: Sequence[str]) -> dict[str, int]:
    """An int for every provider, or the mapping's value per provider (0 when absent)."""
    if isinstance(value, int):
        return {p: value for p in providers}
    return {p: int(value.get(p, 0)) for p in providers}


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
    batch_costs: list[dict[str, int]] = field(default_factory=list)
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
    return refusal(card.execution_label, card.readiness_score, card.base_confidence,
                   card.enrich_inputs, policy, providers)


def refusal(execution_label: str | None, readiness_score: float, base_confidence: float,
            enrich_inputs: dict[str, Any], policy: GatePolicy,
            providers: Sequence[str]) -> str | None:
    """`ineligible_reason` of a card with these values (no `GateCard` built for it)."""
    if execution_label is None:
        return UNLABELED
    if execution_label not in policy.enrichable_labels:
        return f"label_{execution_label}"
    if readiness_score < policy.min_readiness_score:
        return LOW_READINESS
    if base_confidence < policy.min_base_confidence:
        return LOW_CONFIDENCE
    missing = [missing_for(enrich_inputs, p) for p in providers]
    if any(not m for m in missing):
        return None
    return missing[0][0]


def built_decision(execution_label: str | None, readiness_score: float,
                   base_confidence: float, enrich_inputs: dict[str, Any], policy: GatePolicy,
                   providers: Sequence[str]) -> tuple[str, str]:
    """The `(enrich_state, enrich_reason)` a card with these values is built with when the
    gate's basis is known: refused (`ineligible` and why), or eligible and waiting for a pass
    to buy it (`new`, `budget_exhausted`), as a gate pass would leave it."""
    reason = refusal(execution_label, readiness_score, base_confidence, enrich_inputs, policy,
                     providers)
    return ("new", BUDGET_EXHAUSTED) if reason is None else ("ineligible", reason)


def lookup_costs(card: GateCard, providers: Sequence[str], prices: PerProvider
                 ) -> dict[str, int]:
    """Worst-case credits per provider: one lookup at every provider that can take the card."""
    price = per_provider(prices, providers)
    return {p: max(price[p], 0) for p in providers if not missing_for(card.enrich_inputs, p)}


def lookup_cost(card: GateCard, providers: Sequence[str], prices: PerProvider) -> int:
    """Worst-case credits over the whole waterfall."""
    return sum(lookup_costs(card, providers, prices).values())


def priority_key(card: GateCard, policy: GatePolicy) -> tuple[int, float, float, int]:
    """Best first: label order in `enrichable_labels`, base confidence, readiness, card id.

    The gate's SQL orders its stream the same way (`ORDER BY array_position(...)`, ...).
    """
    rank = (policy.enrichable_labels.index(card.execution_label)
            if card.execution_label in policy.enrichable_labels
            else len(policy.enrichable_labels))
    return rank, -card.base_confidence, -card.readiness_score, card.card_id


class Allocator:
    """Decide card by card, in priority order, with memory bounded by what the budget buys.

    `offer` returns the card's fate: an ineligibility reason, `BUDGET_EXHAUSTED`, or None when
    the card is bought. Once one eligible card does not fit, every later eligible card is out of
    budget too (the order is strict: a cheaper, worse card never jumps the queue).
    """

    def __init__(self, policy: GatePolicy, *, providers: Sequence[str],
                 available_credits: PerProvider, price_per_lookup: PerProvider,
                 batch_size: int) -> None:
        if not 1 <= batch_size <= MAX_BATCH_CARDS:
            raise ValueError(f"batch size must be 1..{MAX_BATCH_CARDS}, got {batch_size}")
        self.policy, self.providers = policy, tuple(providers)
        self.price = per_provider(price_per_lookup, self.providers)
        self.batch_size = batch_size
        self.left = {p: max(c, 0)
                     for p, c in per_provider(available_credits, self.providers).items()}
        self.chosen: list[tuple[int, dict[str, int]]] = []
        self.ineligible: dict[str, int] = {}
        self.out_of_budget = 0
        self._exhausted = False

    def offer(self, card: GateCard) -> str | None:
        reason = ineligible_reason(card, self.policy, self.providers)
        if reason is not None:
            self.ineligible[reason] = self.ineligible.get(reason, 0) + 1
            return reason
        costs = lookup_costs(card, self.providers, self.price)
        if self._exhausted or any(c > self.left[p] for p, c in costs.items()):
            self._exhausted = True
            self.out_of_budget += 1
            return BUDGET_EXHAUSTED
        for p, c in costs.items():
            self.left[p] -= c
        self.chosen.append((card.card_id, costs))
        return None

    def account_unread(self, *, eligible: int, ineligible: Mapping[str, int]) -> None:
        """Take the counts of what was decided without being offered: the gate decides
        ineligible cards in bulk and stops reading eligible ones where the budget ends, so
        of `eligible` cards all but the bought ones are out of budget."""
        self.out_of_budget = max(eligible - len(self.chosen), 0)
        self.ineligible = dict(ineligible)

    def batches(self) -> tuple[list[list[int]], list[int]]:
        """Bought cards cut into batches of `batch_size`, with each batch's credits."""
        ids, costs = self.batches_by_provider()
        return ids, [sum(c.values()) for c in costs]

    def batches_by_provider(self) -> tuple[list[list[int]], list[dict[str, int]]]:
        """Bought cards cut into batches, with each batch's worst-case credits per provider
        (every provider of the waterfall, 0 where no card of the batch can use it)."""
        ids, costs = [], []
        for start in range(0, len(self.chosen), self.batch_size):
            part = self.chosen[start:start + self.batch_size]
            ids.append([card_id for card_id, _ in part])
            costs.append({p: sum(c.get(p, 0) for _, c in part) for p in self.providers})
        return ids, costs

    def cards_at(self, provider: str) -> list[list[int]]:
        """Per batch, the bought cards `provider` can look up (what the worker may send it)."""
        return [[cid for cid, c in self.chosen[start:start + self.batch_size] if provider in c]
                for start in range(0, len(self.chosen), self.batch_size)]


def plan(cards: list[GateCard], policy: GatePolicy, *, providers: Sequence[str],
         available_credits: PerProvider, price_per_lookup: PerProvider,
         batch_size: int) -> GatePlan:
    """Split cards into ineligible (with reasons), batches within budget, and out of budget."""
    allocator = Allocator(policy, providers=providers, available_credits=available_credits,
                          price_per_lookup=price_per_lookup, batch_size=batch_size)
    result = GatePlan()
    for card in sorted(cards, key=lambda c: priority_key(c, policy)):
        fate = allocator.offer(card)
        if fate == BUDGET_EXHAUSTED:
            result.out_of_budget.append(card.card_id)
        elif fate is not None:
            result.ineligible[card.card_id] = fate
    result.batches, result.batch_costs = allocator.batches_by_provider()
    result.batch_credits = [sum(c.values()) for c in result.batch_costs]
    return result


def available_credits(*, per_run: int, per_day: int, reserved_today: int,
                      released_today: int, reserved_in_run: int = 0,
                      released_in_run: int = 0) -> int:
    """Credits this gate pass may reserve at one provider: what its run (all of the run's gate
    passes) has left of the run budget, capped by what is left of the day budget."""
    left_today = per_day - reserved_today + released_today
    left_in_run = per_run - reserved_in_run + released_in_run
    return max(0, min(left_in_run, left_today))
