"""Scoring on worker processes gives exactly the bytes scoring in process gives, chunk for
chunk and in order; small steps stay in process."""

from __future__ import annotations

import gzip
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from sxp.adapters.rules_file import load_ruleset
from sxp.config import Settings
from sxp.pipeline.cards_parallel import (
    MIN_PARALLEL_PROFILES,
    card_scorer,
    score_rows,
    worker_count,
)

NAMES = ["Avery Testerson", "Dr. Jordan Samplewood Jr.", "Riley | Realtor", "Casey's Bakery LLC",
         None, "🌸 Morgan Quinn 🌸", "x"]
BIOS = ["Realtor helping home buyers", "Personal trainer, online coaching", "Just vibes",
        "Lash tech and makeup artist", "Owner of a roofing company. roofco.com", None]
PLACES = ["Austin, TX", "Denver, Colorado", "Miami FL 33101", "Lisbon, Portugal", "nyc", None]


def _rows(n: int) -> list[dict[str, Any]]:
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


def test_workers_give_what_the_process_gives_in_order() -> None:
    ruleset = load_ruleset(Settings())
    rows = _rows(3000)
    chunks = [rows[i:i + 250] for i in range(0, len(rows), 250)]
    with card_scorer(ruleset, 0) as score:
        here = list(score(iter(chunks)))
    with card_scorer(ruleset, 2) as score:
        there = list(score(iter(chunks)))
    assert there == here
    assert [c.count for c in there] == [len(c) for c in chunks]
    # one COPY row and one staged line per profile, in order
    assert [len(c.copy_rows.splitlines()) for c in here] == [len(c) for c in chunks]
    staged = gzip.decompress(b"".join(c.staged for c in here)).splitlines()
    assert [orjson.loads(line)["profile_id"] for line in staged] == [r["profile_id"] for r in rows]
    labels = {labeling.labels.get("execution_label")
              for _profile, _scores, labeling in score_rows(ruleset, rows)}
    assert len(labels) >= 3  # the rules decide differently across the rows


def test_small_steps_score_in_process() -> None:
    assert worker_count(MIN_PARALLEL_PROFILES - 1) == 0
    assert worker_count(MIN_PARALLEL_PROFILES) in (0, 2)  # 0 on a one-core machine
