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
Both scores are rounded to 4 decimals. Missing counts score 0. The age is measured at the
profile's scrape time, so the same profile always gives the same card.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sxp.domain.enrichability import derive_inputs

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


def score_card(p: ProfileSignals) -> CardScores:
    """Readiness, base confidence, the signals behind them and the enrichment inputs."""
    components = signal_components(p)
    readiness_score = round(sum([READINESS_WEIGHTS[k] * v for k, v in components.items()]), 4)
    inputs = derive_inputs(p.display_name, p.location, p.bio_url, p.bio)
    identity = {
        "person_name": 1.0 if inputs["first_name"] and inputs["last_name"] else 0.0,
        "us_location": 1.0 if inputs["city"] and inputs["state"] else 0.0,
        "domain": 1.0 if inputs["domain"] else 0.0,
        "verified": components["verified"],
        "account_age": components["account_age"],
        "active": 1.0 if (p.posts or 0) > 0 and (p.followers or 0) > 0 else 0.0,
    }
    base_confidence = round(sum([CONFIDENCE_WEIGHTS[k] * v for k, v in identity.items()]), 4)
    signals: dict[str, Any] = {
        "followers": p.followers, "posts": p.posts, "likes": p.likes,
        "verified": p.is_verified, "bio_length": len((p.bio or "").strip()),
        "bio_link": bool(components["bio_link"]), "location_present": bool(components["location"]),
        "bio_has_contact": p.bio_has_contact, "account_age_days": _age_days(p),
        "engagement_ratio": round((p.likes or 0) / max(p.followers or 0, 1), 4),
        "readiness_components": _rounded(components, _GRADED_READINESS),
        "confidence_components": _rounded(identity, _GRADED_CONFIDENCE),
    }
    return CardScores(readiness=readiness_tier(readiness_score), readiness_score=readiness_score,
                      base_confidence=base_confidence, signals=signals, enrich_inputs=inputs)


# the components that can be other than 0 or 1 (which round to themselves)
_GRADED_READINESS = ("followers", "posts", "bio_length", "account_age", "engagement")
_GRADED_CONFIDENCE = ("account_age",)


def _rounded(components: dict[str, float], graded: tuple[str, ...]) -> dict[str, float]:
    """The components to 4 decimals, in their order."""
    out = dict(components)
    for name in graded:
        out[name] = round(out[name], 4)
    return out


def scored_facts(profile: ProfileSignals, scores: CardScores) -> dict[str, Any]:
    """The facts of a card just scored: what `label_facts` gives for the rows it is stored as
    (so the cards step labels the cards it builds, and the label step finds them current)."""
    return label_facts(vars(profile), vars(scores))


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
