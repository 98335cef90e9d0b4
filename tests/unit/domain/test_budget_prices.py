from __future__ import annotations

import pytest
from pydantic import ValidationError

from sxp.config import Settings
from sxp.domain.budget import billed_credits, lookup_price

BUDGETS = ('{"skiptrace": {"per_day": 5000, "per_run": 1000, "prices": {"skip_trace": 1}},'
           ' "apollo": {"per_day": 2000, "per_run": 500,'
           ' "prices": {"people_match": 1, "organization_enrich": 3}}}')


def test_worst_case_lookup_is_the_dearest_call_type() -> None:
    assert lookup_price("apollo", {"people_match": 1, "organization_enrich": 3}, 1) == 3
    assert lookup_price("skiptrace", {}, 2) == 2
    assert billed_credits({"people_match": 4, "organization_enrich": 2},
                          {"people_match": 1, "organization_enrich": 3}, 1) == 10


def test_provider_budgets_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SXP_PROVIDER_BUDGETS", BUDGETS)
    monkeypatch.setenv("SXP_CREDITS_PER_LOOKUP", "7")
    settings = Settings()
    assert settings.budget_of("apollo") == (2000, 500)
    assert settings.budget_of("skiptrace") == (5000, 1000)
    assert settings.prices_of("apollo") == {"people_match": 1, "organization_enrich": 3}


def test_unset_fields_fall_back_to_the_environment_defaults(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SXP_PROVIDER_BUDGETS", '{"apollo": {"per_run": 50}}')
    monkeypatch.setenv("SXP_CREDIT_BUDGET_PER_DAY", "900")
    monkeypatch.setenv("SXP_CREDITS_PER_LOOKUP", "2")
    settings = Settings()
    assert settings.budget_of("apollo") == (900, 50)
    assert settings.budget_of("skiptrace") == (900, settings.credit_budget_per_run)
    assert settings.prices_of("skiptrace") == {"skip_trace": 2}


@pytest.mark.parametrize("value", [
    '{"zoominfo": {"per_day": 1}}',
    '{"apollo": {"prices": {"skip_trace": 1}}}',
    '{"apollo": {"per_day": -1}}',
    '{"skiptrace": {"prices": {"skip_trace": -2}}}',
    '{"apollo": {"per_week": 1}}',
])
def test_invalid_budgets_are_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SXP_PROVIDER_BUDGETS", value)
    with pytest.raises(ValidationError):
        Settings()
