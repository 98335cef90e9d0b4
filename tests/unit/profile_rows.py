"""Stale-profile rows (the fields the cards step reads from Tier 1), drawn from a fixed seed:
names, bios and places that send the scoring and the rules down their different paths."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

NAMES = ["Avery Testerson", "Dr. Jordan Samplewood Jr.", "Riley | Realtor", "Casey's Bakery LLC",
         None, "🌸 Morgan Quinn 🌸", "x"]
BIOS = ["Realtor helping home buyers", "Personal trainer, online coaching", "Just vibes",
        "Lash tech and makeup artist", "Owner of a roofing company. roofco.com", None]
PLACES = ["Austin, TX", "Denver, Colorado", "Miami FL 33101", "Lisbon, Portugal", "nyc", None]


def profile_rows(n: int) -> list[dict[str, Any]]:
    draw = random.Random(14)
    scraped = datetime(2026, 11, 1, tzinfo=UTC)
    return [{
        "profile_id": i, "platform": draw.choice(["x", "tiktok", "threads"]),
        "handle": f"user_{i}", "content_hash": f"h{i}", "scraped_at": scraped,
        "display_name": draw.choice(NAMES), "bio": draw.choice(BIOS),
        "bio_url": draw.choice([None, f"https://biz{i}.example.com", "linktr.ee/x"]),
        "location": draw.choice(PLACES), "is_verified": draw.random() < 0.1,
        "followers": draw.choice([None, 0, 12, 5000, 2_000_000]),
        "following": draw.choice([None, 10, 900]), "posts": draw.choice([None, 0, 40, 9000]),
        "likes": draw.choice([None, 0, 300, 10**6]),
        "account_created_at": draw.choice([None, scraped - timedelta(days=draw.randint(0, 4000))]),
        "bio_has_contact": draw.random() < 0.2,
    } for i in range(n)]
