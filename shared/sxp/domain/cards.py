"""Lead card scoring: readiness and base confidence from public profile signals.

Every signal is scaled to [0, 1] first (documented in docs/scoring.md):

    followers        min(1, log10(1 + followers) / 6)        1,000,000 followers -> 1
    posts            min(1, log10(1 + posts) / 4)            10,000 posts -> 1
    verified         1 if verified else 0
    bio_length       min(1, len(bio) / 160)
    bio_link         1 if a bio link is present else 0
    location         1 if a location is present else 0
    bio_has_contact  1 if the bio carried contact details (removed from Tier 1) else 0
    account_age      min(1, age_days / 1095)                 3 years -> 1 (age at scrape time)
    engagement       min(1, log10(1 + likes / max(followers, 1)) / 2)   100 likes/follower -> 1

    readiness_score = 0.20 followers + 0.10 posts + 0.05 verified + 0.15 bio_length
                    + 0.15 bio_link + 0.15 location + 0.05 bio_has_contact
                    + 0.05 account_age + 0.10 engagement

    readiness = "ready" if score >= 0.60, "partial" if score >= 0.35, else "thin"

Base confidence says how likely a lookup finds the right person or business:

    base_confidence = 0.30 person_name + 0.25 us_location + 0.15 domain + 0.10 verified
                    + 0.10 account_age + 0.10 active   (active: posts > 0 and followers > 0)

where person_name, us_location and domain are 1 when `sxp.domain.enrichability` derived them.
Each sum adds its terms left to right in the order written, and both scores are rounded to 4
decimals. Missing counts score 0. The age is measured at the profile's scrape time, so the same
profile always gives the same card.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sxp.domain.enrichability import PersonName, derive_inputs, person_name

READINESS_WEIGHTS: dict[str, float] = {
    "followers": 0.20, "posts": 0.10, "verified": 0.05, "bio_length": 0.15, "bio_link": 0.15,
    "location": 0.15, "bio_has_contact": 0.05, "account_age": 0.05, "engagement": 0.10,
}
CONFIDENCE_WEIGHTS: dict[str, float] = {
    "person_name": 0.30, "us_location": 0.25, "domain": 0.15, "verified": 0.10,
    "account_age": 0.10, "active": 0.10,
}
READY_AT = 0.60
PARTIAL_AT = 0.35
# the signals behind the scores, kept apart from the facts (`split_signals`)
COMPONENT_KEYS = ("readiness_components", "confidence_components")


def split_signals(signals: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A card's signals as lead_cards keeps them: the facts (counts, flags, account age,
    engagement ratio; `signals`, jsonb, read by key) and the components behind the scores
    (`signal_components`, json: stored as written, read whole), each in the signals' order."""
    facts = {k: v for k, v in signals.items() if k not in COMPONENT_KEYS}
    return facts, {k: signals[k] for k in COMPONENT_KEYS if k in signals}


@dataclass(frozen=True)
class ProfileSignals:
    """The Tier 1 fields a card is computed from."""

    profile_id: int
    platform: str
    handle: str
    content_hash: str
    scraped_at: datetime
    display_name: str | None = None
    bio: str | None = None
    bio_url: str | None = None
    location: str | None = None
    is_verified: bool = False
    followers: int | None = None
    following: int | None = None
    posts: int | None = None
    likes: int | None = None
    account_created_at: datetime | None = None
    bio_has_contact: bool = False

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> ProfileSignals:
        """`ProfileSignals(*row)` for a full row in `SIGNAL_FIELDS` order, without the frozen
        `__init__`'s setattr per field (the cards step builds a million of them)."""
        profile = object.__new__(cls)
        profile.__dict__.update(zip(SIGNAL_FIELDS, row, strict=True))
        return profile


# the order of a profile row as the cards step reads it from Tier 1 (a tuple, not a dict)
SIGNAL_FIELDS = tuple(f.name for f in fields(ProfileSignals))


@dataclass(frozen=True)
class CardScores:
    readiness: str
    readiness_score: float
    base_confidence: float
    signals: dict[str, Any]
    enrich_inputs: dict[str, Any]


def _log_scaled(value: float, decades: float) -> float:
    return min(1.0, math.log10(1 + max(value, 0)) / decades)


def signal_components(p: ProfileSignals) -> dict[str, float]:
    """Each readiness signal scaled to [0, 1]."""
    followers = p.followers or 0
    age_days = _age_days(p)
    return {
        "followers": _log_scaled(followers, 6),
        "posts": _log_scaled(p.posts or 0, 4),
        "verified": 1.0 if p.is_verified else 0.0,
        "bio_length": min(1.0, len((p.bio or "").strip()) / 160),
        "bio_link": 1.0 if (p.bio_url or "").strip() else 0.0,
        "location": 1.0 if (p.location or "").strip() else 0.0,
        "bio_has_contact": 1.0 if p.bio_has_contact else 0.0,
        "account_age": min(1.0, age_days / 1095) if age_days is not None else 0.0,
        "engagement": _log_scaled((p.likes or 0) / max(followers, 1), 2),
    }


def _age_days(p: ProfileSignals) -> int | None:
    if p.account_created_at is None:
        return None
    return max(0, (p.scraped_at - p.account_created_at).days)


def readiness_tier(score: float) -> str:
    if score >= READY_AT:
        return "ready"
    return "partial" if score >= PARTIAL_AT else "thin"


def score_card(p: ProfileSignals, numbers: CardNumbers | None = None,
               name_of: PersonName = person_name) -> CardScores:
    """Readiness, base confidence, the signals behind them and the enrichment inputs.

    The numbers come from `card_numbers` (or `numbers`, which gives the same: the cards
    step's native twin, `sxp.native.card_numbers`), the person name from `name_of` (the same
    again: `sxp.native.person_name`)."""
    inputs = derive_inputs(p.display_name, p.location, p.bio_url, p.bio, name_of)
    flags = identity_flags(inputs)
    got = None if numbers is None else numbers(p, *flags)
    readiness, readiness_score, base_confidence, signals = got or card_numbers(p, *flags)
    # `CardScores(...)` without the frozen __init__'s setattr per field (a million cards)
    scores = object.__new__(CardScores)
    scores.__dict__.update(readiness=readiness, readiness_score=readiness_score,
                           base_confidence=base_confidence, signals=signals,
                           enrich_inputs=inputs)
    return scores


# what `card_numbers` gives: readiness, readiness_score, base_confidence, signals
Numbers = tuple[str, float, float, dict[str, Any]]
# `card_numbers`, or a twin that gives the same or None (then `card_numbers` is used)
CardNumbers = Callable[[ProfileSignals, float, float, float], Numbers | None]


def identity_flags(inputs: dict[str, Any]) -> tuple[float, float, float]:
    """The confidence signals the enrichment inputs give: person name, US location, domain."""
    return (1.0 if inputs["first_name"] and inputs["last_name"] else 0.0,
            1.0 if inputs["city"] and inputs["state"] else 0.0,
            1.0 if inputs["domain"] else 0.0)


def card_numbers(p: ProfileSignals, person: float, us_place: float, domain: float) -> Numbers:
    """The readiness tier, both scores and the signals, given the identity flags.

    `signal_components` and the weights, written out for the cards step (a million cards a
    run): the same float operations in the same order, without the dicts in between, the
    weighted terms added left to right (so on every Python version; `sum` compensates from
    3.12). tests/unit/domain/test_card_scoring.py holds it to the formulas to the byte, and
    tests/unit/native/test_fastcards.py the native twin to it."""
    followers = p.followers or 0
    posts = p.posts or 0
    bio_length = len((p.bio or "").strip())
    age_days = _age_days(p)
    followers_c = min(1.0, math.log10(1 + max(followers, 0)) / 6)
    posts_c = min(1.0, math.log10(1 + max(posts, 0)) / 4)
    verified = 1.0 if p.is_verified else 0.0
    bio_length_c = min(1.0, bio_length / 160)
    bio_link = 1.0 if (p.bio_url or "").strip() else 0.0
    location = 1.0 if (p.location or "").strip() else 0.0
    contact = 1.0 if p.bio_has_contact else 0.0
    age_c = min(1.0, age_days / 1095) if age_days is not None else 0.0
    ratio = (p.likes or 0) / max(followers, 1)
    engagement = min(1.0, math.log10(1 + max(ratio, 0)) / 2)
    w = _READINESS_W
    readiness_score = round(
        w[0] * followers_c + w[1] * posts_c + w[2] * verified + w[3] * bio_length_c
        + w[4] * bio_link + w[5] * location + w[6] * contact + w[7] * age_c
        + w[8] * engagement, 4)
    active = 1.0 if posts > 0 and followers > 0 else 0.0
    w = _CONFIDENCE_W
    base_confidence = round(w[0] * person + w[1] * us_place + w[2] * domain + w[3] * verified
                            + w[4] * age_c + w[5] * active, 4)
    age_r = _round4(age_c)
    signals: dict[str, Any] = {
        "followers": p.followers, "posts": p.posts, "likes": p.likes,
        "verified": p.is_verified, "bio_length": bio_length, "bio_link": bool(bio_link),
        "location_present": bool(location), "bio_has_contact": p.bio_has_contact,
        "account_age_days": age_days, "engagement_ratio": round(ratio, 4),
        "readiness_components": {
            "followers": _round4(followers_c), "posts": _round4(posts_c), "verified": verified,
            "bio_length": _round4(bio_length_c), "bio_link": bio_link, "location": location,
            "bio_has_contact": contact, "account_age": age_r, "engagement": _round4(engagement)},
        "confidence_components": {
            "person_name": person, "us_location": us_place, "domain": domain,
            "verified": verified, "account_age": age_r, "active": active},
    }
    return readiness_tier(readiness_score), readiness_score, base_confidence, signals


# the weights in the order `card_numbers` writes the terms out (the order of the dicts' keys,
# in which `signal_components` gives the components and the sums add them)
_READINESS_ORDER = ("followers", "posts", "verified", "bio_length", "bio_link", "location",
                    "bio_has_contact", "account_age", "engagement")
_CONFIDENCE_ORDER = ("person_name", "us_location", "domain", "verified", "account_age", "active")
assert tuple(READINESS_WEIGHTS) == _READINESS_ORDER
assert tuple(CONFIDENCE_WEIGHTS) == _CONFIDENCE_ORDER
_READINESS_W = tuple(READINESS_WEIGHTS.values())
_CONFIDENCE_W = tuple(CONFIDENCE_WEIGHTS.values())


def _round4(value: float) -> float:
    """`round(value, 4)`; 0 and 1 (most components) are their own rounding."""
    return value if value == 0.0 or value == 1.0 else round(value, 4)


def scored_facts(p: ProfileSignals, scores: CardScores) -> dict[str, Any]:
    """The facts of a card just scored: what `label_facts` gives for the rows it is stored as
    (so the cards step labels the cards it builds, and the label step finds them current).
    `label_facts(vars(p), vars(scores))`, read from the attributes (tests hold it to that)."""
    inputs = scores.enrich_inputs
    signals = scores.signals
    return {
        "platform": p.platform, "handle": p.handle, "display_name": p.display_name,
        "bio": p.bio, "bio_url": p.bio_url, "location": p.location,
        "is_verified": bool(p.is_verified), "followers": p.followers,
        "following": p.following, "posts": p.posts, "likes": p.likes,
        "bio_has_contact": bool(p.bio_has_contact),
        "account_age_days": signals.get("account_age_days"),
        "engagement_ratio": signals.get("engagement_ratio"),
        "readiness": scores.readiness,
        "readiness_score": float(scores.readiness_score or 0),
        "base_confidence": float(scores.base_confidence or 0),
        "has_person_name": bool(inputs.get("first_name") and inputs.get("last_name")),
        "has_us_location": bool(inputs.get("city") and inputs.get("state")),
        "has_domain": bool(inputs.get("domain")),
        "us_state": inputs.get("state"), "city": inputs.get("city"),
    }


def label_facts(profile: dict[str, Any], card: dict[str, Any]) -> dict[str, Any]:
    """The flat facts the rules engine sees for one card (field names in docs/rules.md)."""
    inputs = card.get("enrich_inputs") or {}
    signals = card.get("signals") or {}
    return {
        "platform": profile.get("platform"), "handle": profile.get("handle"),
        "display_name": profile.get("display_name"), "bio": profile.get("bio"),
        "bio_url": profile.get("bio_url"), "location": profile.get("location"),
        "is_verified": bool(profile.get("is_verified")), "followers": profile.get("followers"),
        "following": profile.get("following"), "posts": profile.get("posts"),
        "likes": profile.get("likes"), "bio_has_contact": bool(profile.get("bio_has_contact")),
        "account_age_days": signals.get("account_age_days"),
        "engagement_ratio": signals.get("engagement_ratio"),
        "readiness": card.get("readiness"),
        "readiness_score": float(card.get("readiness_score") or 0),
        "base_confidence": float(card.get("base_confidence") or 0),
        "has_person_name": bool(inputs.get("first_name") and inputs.get("last_name")),
        "has_us_location": bool(inputs.get("city") and inputs.get("state")),
        "has_domain": bool(inputs.get("domain")),
        "us_state": inputs.get("state"), "city": inputs.get("city"),
    }
