"""Synthetic Tier 1 rows written straight into social.raw_social_profiles for the card steps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sxp.bootstrap import App

CITIES = ["Austin, TX", "Denver, Colorado", "Miami FL 33101", "Portland, OR", "Boise, ID"]
FIRST = ["Avery", "Jordan", "Riley", "Casey", "Morgan", "Quinn", "Harper", "Rowan"]
LAST = ["Testerson", "Samplewood", "Fakeley", "Mockridge", "Synthetica", "Placeholt"]
BIOS = [
    "Realtor helping home buyers find their first place",
    "Personal trainer and nutrition coach, online coaching available",
    "Lash tech and makeup artist, booking via link",
    "Owner of a small roofing company, free estimates",
]

ProfileMaker = Callable[..., list[int]]


def profile_row(i: int, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "platform": ("x", "tiktok", "threads")[i % 3],
        "handle": f"synthetic_user_{i}",
        "display_name": f"{FIRST[i % len(FIRST)]} {LAST[i % len(LAST)]}",
        "bio": BIOS[i % len(BIOS)],
        "bio_url": f"https://synthetic-biz-{i}.example.com",
        "location": CITIES[i % len(CITIES)],
        "is_verified": i % 7 == 0,
        "followers": 500 + 37 * i,
        "following": 120,
        "posts": 80 + i % 50,
        "likes": 9000 + 13 * i,
        "bio_has_contact": i % 5 == 0,
        "content_hash": f"hash-{i}",
    }
    row.update(overrides)
    return row


def insert_profiles(app: App, rows: list[dict[str, Any]]) -> list[int]:
    ids = []
    with app.connect() as conn, conn.transaction():
        for row in rows:
            cols = list(row)
            got = conn.execute(
                f"INSERT INTO social.raw_social_profiles ({', '.join(cols)}, account_created_at,"
                f" scraped_at) VALUES ({', '.join(['%s'] * len(cols))},"
                " now() - interval '900 days', now()) RETURNING id",
                [row[c] for c in cols]).fetchone()
            assert got is not None
            ids.append(int(got["id"]))
    return ids


@pytest.fixture
def make_profiles(app: App) -> ProfileMaker:
    def make(n: int, start: int = 0, **overrides: Any) -> list[int]:
        return insert_profiles(app, [profile_row(i, **overrides) for i in range(start, start + n)])

    return make
