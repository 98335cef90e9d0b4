"""Binary COPY rows round-trip through real Postgres into Tier 1, value for value."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sxp.adapters.postgres.profiles import ChunkedMerge
from sxp.adapters.postgres.tier1_rows import ChunkEncoder
from sxp.bootstrap import App
from sxp.domain.profile_builder import build_profile
from sxp.domain.profiles import PROFILE_FIELDS

WHEN = datetime(2025, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)


def _profiles() -> list[dict[str, Any]]:
    tricky = build_profile({
        "handle": "tricky.one", "platform_user_id": 12345678901234567890,
        "display_name": "Zoë \"Q\" O'Neil \\ tab\there", "bio": "two\nlines, \\N and ,;|",
        "bio_url": "https://example.org/a?b=c&d=e", "location": "Québec, QC",
        "avatar_url": None, "is_verified": "true", "followers": "1.2M", "following": 0,
        "posts": None, "likes": 10_000_000_000, "account_created_at": 1262304000,
        "scraped_at": "2025-03-01T12:30:15.123456Z",
        "extra": {"views_count": 7, "note": "ünïcode", "flag": True, "nothing": None,
                  "nul\x00key": "nul\x00value"},
    }, "threads", WHEN)
    plain = build_profile({"handle": "@Plain_One", "scraped_at": None}, "x", WHEN)
    return [tricky, plain]


def test_encoded_rows_land_in_tier1_value_for_value(app: App) -> None:
    profiles = _profiles()
    with app.connect() as conn:
        with conn.transaction():
            with ChunkedMerge(conn, 42) as merge:
                merge.submit(ChunkEncoder(42).encode(profiles))
            result = merge.finish(2)
        rows = conn.execute(
            f"SELECT {', '.join(PROFILE_FIELDS)}, source_file_id, first_seen, last_seen"
            " FROM social.raw_social_profiles ORDER BY handle DESC").fetchall()
    assert (result.loaded, result.distinct, result.unchanged) == (2, 2, 0)
    for row, profile in zip(rows, profiles, strict=True):
        assert {f: row[f] for f in PROFILE_FIELDS} == profile
        assert row["source_file_id"] == 42
        assert row["first_seen"] == row["last_seen"] == profile["scraped_at"]
    assert rows[0]["bio"] == "two\nlines, \\N and ,;|" and rows[0]["likes"] == 10_000_000_000
    assert rows[1]["handle"] == "plain_one" and rows[1]["scraped_at"] == WHEN
