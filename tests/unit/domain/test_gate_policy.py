from __future__ import annotations

import pytest

from sxp.domain.gate import GateCard, available_credits, ineligible_reason, plan
from sxp.domain.rules import GatePolicy

POLICY = GatePolicy(enrichable_labels=["enrich_now", "enrich_later"], min_readiness_score=0.35,
                    min_base_confidence=0.5)
FULL = {"first_name": "A", "last_name": "B", "city": "Austin", "state": "TX",
        "domain": "a.example.com"}


def card(i: int, label: str | None = "enrich_now", readiness: float = 0.5,
         confidence: float = 0.8, **inputs: object) -> GateCard:
    return GateCard(i, label, readiness, confidence, {**FULL, **inputs})


@pytest.mark.parametrize(("c", "reason"), [
    (card(1), None),
    (card(1, label=None), "unlabeled"),
    (card(1, label="hold"), "label_hold"),
    (card(1, label="export_only"), "label_export_only"),
    (card(1, readiness=0.2), "low_readiness"),
    (card(1, confidence=0.49), "low_confidence"),
    (card(1, first_name=None), "no_person_name"),
    (card(1, state=None), "no_us_location"),
    (card(1, domain=None), None),  # skip trace needs no domain
])
def test_ineligible_reasons(c: GateCard, reason: str | None) -> None:
    assert ineligible_reason(c, POLICY, ("skiptrace",)) == reason


def test_apollo_needs_a_domain() -> None:
    assert ineligible_reason(card(1, domain=None), POLICY, ("apollo",)) == "no_domain"
    assert ineligible_reason(card(1, state=None), POLICY, ("apollo",)) is None


def test_batches_capped_and_budget_respected() -> None:
    cards = [card(i) for i in range(1, 601)] + [card(900, label="hold")]
    got = plan(cards, POLICY, providers=("skiptrace",), available_credits=1000, price_per_lookup=2,
               batch_size=250)
    assert [len(b) for b in got.batches] == [250, 250]
    assert got.credits == 1000 and len(got.out_of_budget) == 100
    assert got.ineligible == {900: "label_hold"} and got.eligible == 600
    assert got.cards_queued == 500


def test_best_cards_are_bought_first() -> None:
    cards = [card(1, label="enrich_later", confidence=0.99), card(2, confidence=0.6),
             card(3, confidence=0.9), card(4, confidence=0.9, readiness=0.9)]
    got = plan(cards, POLICY, providers=("skiptrace",), available_credits=3, price_per_lookup=1,
               batch_size=250)
    assert got.batches == [[4, 3, 2]] and got.out_of_budget == [1]


def test_free_lookups_and_empty_budget() -> None:
    cards = [card(i) for i in range(10)]
    free = plan(cards, POLICY, providers=("skiptrace",), available_credits=0, price_per_lookup=0,
                batch_size=4)
    assert [len(b) for b in free.batches] == [4, 4, 2] and free.credits == 0
    broke = plan(cards, POLICY, providers=("skiptrace",), available_credits=0, price_per_lookup=1,
                 batch_size=4)
    assert broke.batches == [] and len(broke.out_of_budget) == 10


@pytest.mark.parametrize("size", [0, 251])
def test_batch_size_must_fit_the_contract(size: int) -> None:
    with pytest.raises(ValueError, match="batch size"):
        plan([], POLICY, providers=("skiptrace",), available_credits=1, price_per_lookup=1,
             batch_size=size)


@pytest.mark.parametrize(("run", "day", "reserved", "released", "expected"), [
    (2000, 10000, 0, 0, 2000),
    (2000, 10000, 9000, 0, 1000),
    (2000, 10000, 9000, 500, 1500),
    (2000, 10000, 12000, 0, 0),
    (0, 10000, 0, 0, 0),
])
def test_available_credits(run: int, day: int, reserved: int, released: int,
                           expected: int) -> None:
    assert available_credits(per_run=run, per_day=day, reserved_today=reserved,
                             released_today=released) == expected


def test_waterfall_reserves_the_worst_case() -> None:
    both = card(1)  # skip trace and Apollo can both take it: 2 lookups
    skip_only = card(2, domain=None)
    apollo_only = card(3, state=None)
    neither = card(4, first_name=None)
    chain = ("skiptrace", "apollo")
    assert ineligible_reason(apollo_only, POLICY, chain) is None
    assert ineligible_reason(neither, POLICY, chain) == "no_person_name"
    got = plan([both, skip_only, apollo_only, neither], POLICY, providers=chain,
               available_credits=100, price_per_lookup=5, batch_size=2)
    assert got.batches == [[1, 2], [3]] and got.batch_credits == [15, 5] and got.credits == 20
    assert got.batch_costs == [{"skiptrace": 10, "apollo": 5}, {"skiptrace": 0, "apollo": 5}]
    # budgets are per provider: skip trace's 9 credits buy card 1 only, whatever Apollo has left
    tight = plan([both, skip_only], POLICY, providers=chain,
                 available_credits={"skiptrace": 9, "apollo": 100},
                 price_per_lookup=5, batch_size=250)
    assert tight.batches == [[1]] and tight.out_of_budget == [2]


def test_each_provider_has_its_own_budget_and_price() -> None:
    both = [card(i) for i in range(1, 7)]  # both providers can take every card
    chain = ("skiptrace", "apollo")
    got = plan(both, POLICY, providers=chain, available_credits={"skiptrace": 100, "apollo": 9},
               price_per_lookup={"skiptrace": 1, "apollo": 2}, batch_size=3)
    # Apollo's 9 credits at 2 each buy 4 cards; skip trace could have paid for all six
    assert got.batches == [[1, 2, 3], [4]] and got.out_of_budget == [5, 6]
    assert got.batch_costs == [{"skiptrace": 3, "apollo": 6}, {"skiptrace": 1, "apollo": 2}]
    free = plan(both, POLICY, providers=chain, available_credits={"skiptrace": 0, "apollo": 0},
                price_per_lookup={"skiptrace": 0, "apollo": 0}, batch_size=250)
    assert free.cards_queued == 6 and free.credits == 0
