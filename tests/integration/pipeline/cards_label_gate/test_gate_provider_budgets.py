"""Budgets per provider: each provider's day and run budget and prices, on real Postgres."""

from __future__ import annotations

from typing import Any

from sxp.bootstrap import App
from sxp.domain.budget import ProviderBudget
from sxp.pipeline.gate import gate

from ..concurrency import run_at_once
from .conftest import ProfileMaker
from .test_gate_step import _one, _prepare, gate_app  # noqa: F401 - fixture

CHAIN = "skiptrace,apollo"


def _budgets(**per_provider: dict[str, Any]) -> dict[str, ProviderBudget]:
    return {name: ProviderBudget(**b) for name, b in per_provider.items()}


def _ledger(app: App) -> dict[tuple[str, str], int]:
    with app.connect() as conn:
        rows = conn.execute("SELECT provider, entry, sum(credits) AS n FROM execution.credit_ledger"
                            " GROUP BY 1, 2").fetchall()
    return {(r["provider"], r["entry"]): int(r["n"]) for r in rows}


def test_waterfall_reserves_each_provider_within_its_own_budget(
        gate_app: Any, make_profiles: ProfileMaker) -> None:  # noqa: F811
    budgets = _budgets(skiptrace={"per_run": 1000, "prices": {"skip_trace": 1}},
                       apollo={"per_run": 30, "prices": {"people_match": 1,
                                                         "organization_enrich": 3}})
    app = gate_app(enrich_provider=CHAIN, provider_budgets=budgets, enrich_batch_size=4)
    _prepare(app, make_profiles, 20)  # every card: name, US city, company link
    result = gate(app)
    # Apollo's worst case is 3 (an organization enrich): its 30 credits buy 10 cards
    assert result.cards_queued == 10 and result.out_of_budget == 10
    assert result.credits_available_by_provider == {"skiptrace": 1000, "apollo": 30}
    assert _ledger(app) == {("skiptrace", "reserve"): 10, ("apollo", "reserve"): 30}
    with app.connect() as conn:
        rows = conn.execute("SELECT batch_id, count(*) AS n FROM execution.credit_ledger"
                            " GROUP BY 1").fetchall()
    assert len(rows) == 3 and all(r["n"] == 2 for r in rows)  # one reserve per provider


def test_one_providers_spending_leaves_the_others_day_budget_alone(
        gate_app: Any, make_profiles: ProfileMaker) -> None:  # noqa: F811
    budgets = _budgets(skiptrace={"per_day": 15}, apollo={"per_day": 12})
    skip = gate_app(enrich_provider="skiptrace", provider_budgets=budgets)
    _prepare(skip, make_profiles, 40)
    assert gate(skip).cards_queued == 15
    assert gate(skip).cards_queued == 0  # skip trace's day is spent
    apollo = gate_app(enrich_provider="apollo", provider_budgets=budgets)
    second = gate(apollo)
    assert second.cards_queued == 12 and second.credits_available == 12
    assert _ledger(skip) == {("skiptrace", "reserve"): 15, ("apollo", "reserve"): 12}


def test_two_waterfall_gates_racing_never_overspend_any_provider(
        gate_app: Any, make_profiles: ProfileMaker) -> None:  # noqa: F811
    budgets = _budgets(skiptrace={"per_day": 500, "per_run": 10_000},
                       apollo={"per_day": 90, "per_run": 10_000,
                               "prices": {"people_match": 1, "organization_enrich": 2}})
    apps = [gate_app(enrich_provider=CHAIN, provider_budgets=budgets, enrich_batch_size=25)
            for _ in range(2)]
    _prepare(apps[0], make_profiles, 300)
    results, errors = run_at_once(gate, apps)
    assert errors == []
    assert sorted(r.cards_queued for r in results) == [0, 45]  # Apollo: 90 credits at 2
    assert _ledger(apps[0]) == {("skiptrace", "reserve"): 45, ("apollo", "reserve"): 90}
    assert _one(apps[0], "SELECT count(*) FROM execution.lead_cards"
                         " WHERE enrich_state = 'queued'") == 45


def test_dry_run_shows_cards_calls_and_cost_per_provider(
        gate_app: Any, make_profiles: ProfileMaker) -> None:  # noqa: F811
    budgets = _budgets(skiptrace={"prices": {"skip_trace": 2}},
                       apollo={"prices": {"people_match": 1, "organization_enrich": 1}})
    app = gate_app(enrich_provider=CHAIN, provider_budgets=budgets, credit_budget_per_run=10_000)
    _prepare(app, make_profiles, 130)  # both providers can take each card
    make_profiles(5, start=500, bio_url=None)  # no domain: skip trace only
    from sxp.pipeline.cards import build_cards
    from sxp.pipeline.label import label_cards

    build_cards(app)
    label_cards(app)
    dry = gate(app, dry_run=True)
    assert dry.batch_sizes == [135]  # one batch of 250 at most
    # skip trace: 135 cards in bulk calls of 100; Apollo: 130 cards in calls of 10, each maybe
    # followed by an organizations bulk_enrich
    assert dry.spend_by_provider["skiptrace"] == {"cards": 135, "calls": 2, "credits": 270,
                                                  "available": 10_000}
    assert dry.spend_by_provider["apollo"] == {"cards": 130, "calls": 26, "credits": 130,
                                               "available": 10_000}
    assert dry.credits_reserved == 400
    assert _one(app, "SELECT count(*) FROM execution.credit_ledger") == 0
