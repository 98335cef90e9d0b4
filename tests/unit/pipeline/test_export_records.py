"""A large batch's records encoded on worker processes are the lines, rejections and phone
checks encoding in process gives, chunk for chunk and in order (so the bundle's bytes are
the same); suppressed contact points stay out either way."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson

from sxp.domain.privacy import SuppressedPoints, keyed_hash
from sxp.pipeline.export_records import record_encoder

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
KEY = b"k" * 32
SUPPRESSED_EMAIL = "gone.canary@example.com"


def _row(i: int) -> dict[str, Any]:
    contacts = None
    if i % 3 == 0:
        contacts = [{"provider": "skiptrace", "first_name": "Sam", "last_name": "Sample",
                     "emails": [{"address": f"sam{i}@example.com"}, SUPPRESSED_EMAIL],
                     "phones": [{"e164": f"+1512555{i:04d}", "dnc": i % 2 == 0}],
                     "confidence": 0.9, "fetched_at": NOW.isoformat()}]
    return {
        "id": i, "profile_id": 100 + i, "platform": "tiktok",
        "handle": "" if i % 7 == 6 else f"maker_{i}",  # an empty handle is no valid record
        "profile_hash": f"h{i}", "readiness": "ready", "readiness_score": Decimal("0.7123"),
        "base_confidence": Decimal("0.6000"), "persona": "creator", "tribe": "creators",
        "audience_pool": "us_consumers", "execution_label": "enrich_now",
        "ruleset_version": "v1", "rules_fired": ["r1", "r2"], "labeled_at": NOW,
        "enrich_state": "enriched" if contacts else "not_found",
        "enrich_reason": None if contacts else "no_match", "enrichment_batch_id": "eb-1",
        "enriched_at": NOW, "dnc": None, "card_created_at": NOW, "platform_user_id": str(i),
        "display_name": "Sam Sample", "bio": "bio\twith \"quotes\" and ünïcode", "bio_url": None,
        "location": "Austin, TX", "avatar_url": None, "is_verified": i % 2 == 0,
        "followers": 10 * i, "following": 3, "posts": 5, "likes": 70, "account_created_at": NOW,
        "scraped_at": NOW, "bio_has_contact": False, "source_file_id": 1,
        "contacts": contacts, "businesses": None}


def test_workers_encode_what_the_process_encodes_in_order() -> None:
    suppressed = SuppressedPoints(KEY, frozenset({keyed_hash(KEY, "email", SUPPRESSED_EMAIL)}))
    chunks = [[_row(i) for i in range(start, start + 40)] for start in range(0, 400, 40)]
    with record_encoder(suppressed, 0) as encode:
        here = list(encode(iter(chunks)))
    with record_encoder(suppressed, 2) as encode:
        there = list(encode(iter(chunks)))
    assert there == here
    lines = [line for chunk in here for line, _label, _status in chunk.lines]
    rejected = [card_id for chunk in here for card_id, _reason in chunk.rejected]
    assert rejected == [i for i in range(400) if i % 7 == 6]
    records = [orjson.loads(line) for line in lines]
    assert [r["card_id"] for r in records] == [i for i in range(400) if i % 7 != 6]
    with_contact = [r for r in records if r["contact"]]
    assert with_contact and all(r["contact"]["emails"] == [f"sam{r['card_id']}@example.com"]
                                for r in with_contact)
    assert SUPPRESSED_EMAIL.encode() not in b"".join(lines)
    checks = [c for chunk in here for c in chunk.phone_checks]
    assert [c.card_id for c in checks] == [r["card_id"] for r in with_contact]
    assert repr(suppressed).count("k" * 32) == 0  # the key never shows
