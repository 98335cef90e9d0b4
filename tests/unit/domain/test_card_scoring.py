from __future__ import annotations

import functools
import math
import operator
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from sxp.domain.cards import (
    CONFIDENCE_WEIGHTS,
    READINESS_WEIGHTS,
    SIGNAL_FIELDS,
    CardScores,
    ProfileSignals,
    label_facts,
    readiness_tier,
    score_card,
    scored_facts,
    signal_components,
)
from sxp.domain.enrichability import derive_inputs

from ..profile_rows import profile_rows

SCRAPED = datetime(2026, 11, 1, tzinfo=UTC)


def added_in_order(terms: Iterable[float]) -> float:
    """The documented weighted sums: their terms added left to right (as `sum` does to 3.11;
    from 3.12 it compensates)."""
    return functools.reduce(operator.add, terms)


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
    expected = added_in_order(READINESS_WEIGHTS[k] * v for k, v in signal_components(p).items())
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


def _documented_card(p: ProfileSignals) -> CardScores:
    """The module docstring's formulas, the plain way: every component rounded."""
    components = signal_components(p)
    inputs = derive_inputs(p.display_name, p.location, p.bio_url, p.bio)
    identity = {"person_name": float(bool(inputs["first_name"] and inputs["last_name"])),
                "us_location": float(bool(inputs["city"] and inputs["state"])),
                "domain": float(bool(inputs["domain"])), "verified": components["verified"],
                "account_age": components["account_age"],
                "active": float((p.posts or 0) > 0 and (p.followers or 0) > 0)}
    readiness = round(added_in_order(READINESS_WEIGHTS[k] * v for k, v in components.items()), 4)
    age_days = None if p.account_created_at is None else max(
        0, (p.scraped_at - p.account_created_at).days)
    return CardScores(
        readiness=readiness_tier(readiness), readiness_score=readiness,
        base_confidence=round(added_in_order(CONFIDENCE_WEIGHTS[k] * v
                                             for k, v in identity.items()), 4),
        signals={"followers": p.followers, "posts": p.posts, "likes": p.likes,
                 "verified": p.is_verified, "bio_length": len((p.bio or "").strip()),
                 "bio_link": bool(components["bio_link"]),
                 "location_present": bool(components["location"]),
                 "bio_has_contact": p.bio_has_contact, "account_age_days": age_days,
                 "engagement_ratio": round((p.likes or 0) / max(p.followers or 0, 1), 4),
                 "readiness_components": {k: round(v, 4) for k, v in components.items()},
                 "confidence_components": {k: round(v, 4) for k, v in identity.items()}},
        enrich_inputs=inputs)


def test_cards_of_drawn_profiles_are_the_documented_formula_to_the_byte() -> None:
    for row in profile_rows(3000):
        p = ProfileSignals(**row)
        card, documented = score_card(p), _documented_card(p)
        assert card == documented
        assert orjson.dumps(vars(card)) == orjson.dumps(vars(documented))  # key order too


def test_a_profile_from_its_row_is_the_profile_and_its_facts_are_the_stored_cards() -> None:
    for row in profile_rows(3000):
        built = ProfileSignals(**row)
        from_row = ProfileSignals.from_row(tuple(row[name] for name in SIGNAL_FIELDS))
        assert from_row == built and vars(from_row) == vars(built)
        card = score_card(built)
        facts = scored_facts(from_row, card)
        reference = label_facts(vars(built), vars(card))
        assert facts == reference and list(facts) == list(reference)
    with pytest.raises(ValueError):
        ProfileSignals.from_row((1, "x", "synthetic", "h", SCRAPED))  # a row cut short
