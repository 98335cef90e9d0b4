from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from sxp.domain.cards import (
    CONFIDENCE_WEIGHTS,
    READINESS_WEIGHTS,
    ProfileSignals,
    label_facts,
    readiness_tier,
    score_card,
    signal_components,
)

SCRAPED = datetime(2026, 11, 1, tzinfo=UTC)


def profile(**overrides: object) -> ProfileSignals:
    base: dict[str, object] = {"profile_id": 1, "platform": "x", "handle": "synthetic",
                               "content_hash": "h", "scraped_at": SCRAPED}
    base.update(overrides)
    return ProfileSignals(**base)  # type: ignore[arg-type]


def test_weights_sum_to_one() -> None:
    assert math.isclose(sum(READINESS_WEIGHTS.values()), 1.0)
    assert math.isclose(sum(CONFIDENCE_WEIGHTS.values()), 1.0)


def test_empty_profile_scores_zero_and_is_thin() -> None:
    card = score_card(profile())
    assert card.readiness_score == 0 and card.base_confidence == 0 and card.readiness == "thin"


def test_full_profile_scores_one() -> None:
    card = score_card(profile(
        display_name="Avery Testerson", bio="x" * 200, bio_url="https://avery-homes.example.com",
        location="Austin, TX", is_verified=True, followers=1_000_000, posts=10_000,
        likes=100_000_000, account_created_at=SCRAPED - timedelta(days=1200),
        bio_has_contact=True))
    assert card.readiness_score == 1.0 and card.base_confidence == 1.0
    assert card.readiness == "ready"
    assert card.enrich_inputs["first_name"] == "Avery" and card.enrich_inputs["state"] == "TX"


def test_components_follow_the_documented_formula() -> None:
    c = signal_components(profile(followers=999, posts=99, bio="b" * 80, likes=999 * 9,
                                  account_created_at=SCRAPED - timedelta(days=365)))
    assert c["followers"] == pytest.approx(math.log10(1000) / 6)  # 0.5
    assert c["posts"] == pytest.approx(0.5)
    assert c["bio_length"] == pytest.approx(0.5)
    assert c["account_age"] == pytest.approx(365 / 1095)
    assert c["engagement"] == pytest.approx(math.log10(10) / 2)
    assert c["verified"] == c["bio_link"] == c["location"] == c["bio_has_contact"] == 0


def test_readiness_score_is_the_weighted_sum() -> None:
    p = profile(followers=999, posts=99, location="Somewhere", bio_url="https://a.example.com")
    expected = sum(READINESS_WEIGHTS[k] * v for k, v in signal_components(p).items())
    assert score_card(p).readiness_score == round(expected, 4)


def test_base_confidence_counts_identity_signals() -> None:
    card = score_card(profile(display_name="Riley Samplewood", location="Denver, Colorado",
                              followers=10, posts=3))
    assert card.base_confidence == pytest.approx(0.30 + 0.25 + 0.10)
    assert card.signals["confidence_components"]["domain"] == 0


@pytest.mark.parametrize(("score", "tier"), [(0.6, "ready"), (0.5999, "partial"),
                                             (0.35, "partial"), (0.3499, "thin")])
def test_readiness_tiers(score: float, tier: str) -> None:
    assert readiness_tier(score) == tier


def test_same_profile_gives_same_card() -> None:
    p = profile(followers=5, account_created_at=SCRAPED - timedelta(days=10))
    assert score_card(p) == score_card(p)


def test_label_facts_flatten_card_and_profile() -> None:
    facts = label_facts({"platform": "x", "followers": 3, "is_verified": None},
                        {"readiness_score": "0.5", "enrich_inputs": {"first_name": "A",
                                                                     "last_name": "B"}})
    assert facts["has_person_name"] and not facts["has_us_location"]
    assert facts["readiness_score"] == 0.5 and facts["is_verified"] is False
