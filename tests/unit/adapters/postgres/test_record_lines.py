"""`plain_record_line` is held to the model's bytes: for every row it writes, the line is
`record_from_row(row).model_dump_json()`'s, and every row the model refuses it leaves alone."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from sxp.adapters.postgres.exports import _rule_ids, encode_record_rows, record_from_row
from sxp.adapters.postgres.record_lines import plain_record_line

ZONES = [UTC, ZoneInfo("UTC"), ZoneInfo("America/Denver"), timezone(timedelta(hours=5, minutes=30)),
         timezone(timedelta(seconds=-3661)), None]
TEXTS = ["", "a", "Avery Rook", "tab\there", "line\nbreak", 'quote " and \\ backslash',
         "\x00\x01\x1f\x7f", "é ü ß 漢字", "\u2028\u2029\ufeff", "😀 emoji", "</script>", "a/b"]


def a_row(**values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": 7, "profile_id": 11, "platform": "x", "handle": "averrook", "profile_hash": "h1",
        "readiness": "partial", "readiness_score": Decimal("0.5059"),
        "base_confidence": Decimal("0.7500"), "persona": "general_audience", "tribe": "general",
        "audience_pool": "us_consumers", "execution_label": "exec.hold_thin",
        "ruleset_version": "2024.06", "rules_fired": ["exec.hold_thin"],
        "labeled_at": datetime(2026, 12, 1, 10, 0, 0, 123456, tzinfo=UTC),
        "enrich_state": "ineligible", "enrich_reason": "low_intent",
        "enrichment_batch_id": None, "enriched_at": None, "dnc": None,
        "card_created_at": datetime(2026, 12, 1, 9, 59, tzinfo=UTC),
        "platform_user_id": "10000261", "display_name": "Avery Rook", "bio": "Designer",
        "bio_url": None, "location": "Denver, CO", "avatar_url": None, "is_verified": False,
        "followers": 747, "following": 866, "posts": 3795, "likes": 54578,
        "account_created_at": None, "scraped_at": datetime(2026, 11, 30, tzinfo=UTC),
        "bio_has_contact": False, "source_file_id": 3, "contacts": None, "businesses": None}
    row.update(values)
    return row


def reference(row: dict[str, Any]) -> bytes | None:
    """The model's line, or None when the model refuses the row."""
    try:
        return record_from_row(row).model_dump_json().encode() + b"\n"
    except (ValidationError, TypeError):
        return None


def plain(row: dict[str, Any]) -> bytes | None:
    return plain_record_line(row, _rule_ids(row["rules_fired"]))


def drawn_row(rnd: random.Random) -> dict[str, Any]:
    def text() -> str | None:
        return None if rnd.random() < 0.2 else rnd.choice(TEXTS) + str(rnd.randrange(1000))

    def moment() -> datetime:
        zone = rnd.choice(ZONES)
        start = datetime(2000, 1, 1) if zone is None else datetime(2000, 1, 1, tzinfo=zone)
        return start + timedelta(
            seconds=rnd.randrange(10**9), microseconds=rnd.choice([0, 400, 120000, 999999]))

    def count() -> int | None:
        return None if rnd.random() < 0.2 else rnd.choice([0, 1, rnd.randrange(10**6),
                                                           rnd.randrange(1 << 62)])

    def score() -> Decimal:
        return Decimal(rnd.randrange(10001)) / Decimal(10000)

    return a_row(
        id=rnd.randrange(1, 1 << 40), profile_id=rnd.randrange(1, 1 << 40),
        platform=rnd.choice(["x", "tiktok", "threads"]),
        handle=rnd.choice(TEXTS[1:]) + str(rnd.randrange(99)), profile_hash=f"{rnd.random()}",
        readiness=rnd.choice(["ready", "partial", "thin"]), readiness_score=score(),
        base_confidence=score(), persona=text(), tribe=text(), audience_pool=text(),
        execution_label=text(), ruleset_version=text(),
        rules_fired=rnd.choice([[], None, ["a.b", "c"], {"rules": [{"id": "r1"}]},
                                [{"id": 3}, "x"]]),
        labeled_at=None if rnd.random() < 0.2 else moment(),
        enrich_state=rnd.choice(["enriched", "not_found", "ineligible"]),
        enrich_reason=text(), enrichment_batch_id=text(),
        enriched_at=None if rnd.random() < 0.5 else moment(),
        dnc=rnd.choice([None, True, False]), card_created_at=moment(),
        platform_user_id=text(), display_name=text(), bio=text(), bio_url=text(),
        location=text(), avatar_url=text(), is_verified=rnd.random() < 0.5,
        followers=count(), following=count(), posts=count(), likes=count(),
        account_created_at=None if rnd.random() < 0.3 else moment(), scraped_at=moment(),
        bio_has_contact=rnd.random() < 0.5,
        source_file_id=None if rnd.random() < 0.2 else rnd.randrange(1, 1 << 31))


def test_drawn_rows_get_the_models_bytes() -> None:
    rnd = random.Random(20261204)
    written = 0
    for _ in range(3000):
        row = drawn_row(rnd)
        line = plain(row)
        assert line is not None, row  # every drawn row is plainly valid
        assert line == reference(row), row
        written += 1
    assert written == 3000


@pytest.mark.parametrize("values", [
    {"platform": "myspace"}, {"platform": None}, {"handle": ""}, {"handle": None},
    {"followers": -1}, {"likes": -5}, {"posts": 1 << 63}, {"following": 1.5},
    {"followers": True}, {"readiness_score": Decimal("1.0001")},
    {"base_confidence": Decimal("-0.0001")}, {"readiness_score": Decimal("NaN")},
    {"base_confidence": "0.5"}, {"readiness": None}, {"enrich_state": "queued"},
    {"enrich_state": None}, {"is_verified": None}, {"bio_has_contact": 1}, {"dnc": "yes"},
    {"scraped_at": None}, {"scraped_at": "2026-01-01"}, {"card_created_at": None},
    {"labeled_at": "2026-01-01T00:00:00Z"}, {"account_created_at": 1767225600},
    {"bio": 12}, {"persona": b"bytes"}, {"profile_hash": None}, {"id": "7"},
    {"profile_id": None}, {"source_file_id": "3"},
])
def test_a_row_failing_a_check_goes_the_models_way(values: dict[str, Any]) -> None:
    row = a_row(**values)
    assert plain(row) is None
    assert reference(a_row()) == plain(a_row())  # the same row without the fault is written


def test_rows_with_a_contact_or_a_business_go_the_models_way() -> None:
    fetched = "2026-12-01T10:00:00+00:00"
    contact = [{"provider": "skiptrace", "first_name": "Avery", "last_name": "Rook",
                "emails": ["a@example.test"], "phones": [], "confidence": 0.9,
                "fetched_at": fetched}]
    business = [{"provider": "apollo", "name": "Rook Co", "domain": "rook.test",
                 "industry": None, "employee_count": 4, "city": None, "state": None,
                 "confidence": 0.5, "fetched_at": fetched}]
    assert plain(a_row(contacts=contact)) is None
    assert plain(a_row(businesses=business)) is None
    assert plain(a_row(contacts=[], businesses=[])) == reference(a_row())


def test_negative_zero_and_the_score_bounds_are_the_models() -> None:
    for score in ("-0.0000", "0.0000", "1.0000", "0.0001", "0.9999"):
        row = a_row(readiness_score=Decimal(score), base_confidence=Decimal(score))
        assert plain(row) == reference(row)


def test_encoding_a_chunk_gives_the_models_lines_and_counts() -> None:
    rnd = random.Random(7)
    contact = [{"provider": "skiptrace", "first_name": "A", "last_name": "R", "emails": [],
                "phones": [{"e164": "+13035550100", "dnc": True}], "confidence": 0.9,
                "fetched_at": "2026-12-01T10:00:00+00:00"}]
    rows = [drawn_row(rnd) for _ in range(50)] + [a_row(id=900, contacts=contact),
                                                  a_row(id=901, platform="myspace")]
    encoded = encode_record_rows(rows)
    expected = [line for line in map(reference, rows) if line is not None]
    assert encoded.records.lines == expected
    assert encoded.rejected and encoded.rejected[0][0] == 901
    assert len(encoded.phone_checks) == 1
    assert sum(encoded.records.labels.values()) == sum(encoded.records.statuses.values()) == 51
