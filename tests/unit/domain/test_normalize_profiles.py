"""Normalization of handles, counts, timestamps, and the PII scrub with planted values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sxp.domain import quality as q
from sxp.domain.normalize import (
    normalize_count,
    normalize_handle,
    normalize_timestamp,
)
from sxp.domain.profile_builder import build_profile
from sxp.domain.profiles import Profile
from sxp.domain.quality import RowRejected
from sxp.domain.scrub import scrub_contacts

NOW = datetime(2025, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize(("raw", "platform", "expected"), [
    ("@Jane_Doe", "x", ("jane_doe", None)),
    ("jane_doe", "x", ("jane_doe", None)),
    ("https://twitter.com/Jane_Doe?s=20&t=abc", None, ("jane_doe", "x")),
    ("https://x.com/jane_doe/", "x", ("jane_doe", "x")),
    ("mobile.twitter.com/Jane_Doe", None, ("jane_doe", "x")),
    ("https://www.tiktok.com/@Some.One?lang=en", None, ("some.one", "tiktok")),
    ("m.tiktok.com/@some_one/", "tiktok", ("some_one", "tiktok")),
    ("https://www.threads.net/@a.b/", None, ("a.b", "threads")),
    ("threads.com/@A.B?igshid=1", None, ("a.b", "threads")),
    ("\u200bJane\u202e_Doe\ufeff", "x", ("jane_doe", None)),
    ("ＪＡＮＥ", "x", ("jane", None)),
])
def test_handles_from_every_form(raw: str, platform: str | None,
                                 expected: tuple[str, str | None]) -> None:
    assert normalize_handle(raw, platform) == expected


@pytest.mark.parametrize(("raw", "platform", "code"), [
    (None, "x", q.MISSING_HANDLE),
    ("  ", "x", q.MISSING_HANDLE),
    ("this_handle_is_way_too_long", "x", q.INVALID_HANDLE),
    ("has space", "tiktok", q.INVALID_HANDLE),
    ("a", "tiktok", q.INVALID_HANDLE),
    ("ends.", "tiktok", q.INVALID_HANDLE),
    ("https://x.com/jane", "tiktok", q.PLATFORM_MISMATCH),
    ("https://example.com/jane", None, q.INVALID_HANDLE),
    ("https://www.tiktok.com/video/123", None, q.INVALID_HANDLE),
    ("https://x.com/", None, q.INVALID_HANDLE),
    ("https://x.com/i/lists/1", None, q.INVALID_HANDLE),
])
def test_bad_handles_give_reason_codes(raw: str | None, platform: str | None, code: str) -> None:
    with pytest.raises(RowRejected) as err:
        normalize_handle(raw, platform)
    assert err.value.code == code


@pytest.mark.parametrize(("raw", "expected"), [
    (12, 12), ("12,345", 12345), ("12.345", 12345), ("1.2K", 1200), ("3.4M", 3_400_000),
    ("1,2 M", 1_200_000), ("2b", 2_000_000_000), (" 1 234 ", 1234), (None, None), ("", None),
    (7.0, 7),
])
def test_counts(raw: object, expected: int | None) -> None:
    assert normalize_count(raw) == expected


@pytest.mark.parametrize(("raw", "code"), [
    (-1, q.NEGATIVE_COUNT), ("-5", q.NEGATIVE_COUNT), (10**12, q.ABSURD_COUNT),
    ("99B", q.ABSURD_COUNT), ("lots", q.INVALID_COUNT), (float("nan"), q.INVALID_COUNT),
    (float("inf"), q.INVALID_COUNT), (True, q.INVALID_COUNT),
])
def test_bad_counts(raw: object, code: str) -> None:
    with pytest.raises(RowRejected) as err:
        normalize_count(raw)
    assert err.value.code == code


@pytest.mark.parametrize("raw", ["2023-11-14T22:13:20Z", "2023-11-14T22:13:20.000+00:00",
                                 "2023-11-14 22:13:20", 1700000000, 1700000000000,
                                 "1700000000", 1700000000.0])
def test_timestamps(raw: object) -> None:
    assert normalize_timestamp(raw, NOW) == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)


@pytest.mark.parametrize("raw", ["yesterday", "2099-01-01T00:00:00Z", 12, "1999-12-31", True])
def test_bad_timestamps(raw: object) -> None:
    with pytest.raises(RowRejected) as err:
        normalize_timestamp(raw, NOW)
    assert err.value.code == q.INVALID_TIMESTAMP


@pytest.mark.parametrize("planted", [
    "canary.7f3a@example.com", "canary (at) example (dot) org", "canary[at]example[dot]com",
    "+1 555 0142", "+1 (212) 555-0199", "212.555.0188", "(415) 555 0177", "+44 20 7946 0958",
])
def test_pii_scrub_removes_planted_values(planted: str) -> None:
    text, found = scrub_contacts(f"Baker in Austin | {planted} | DM for collabs")
    assert found is True
    assert text is not None and planted not in text
    assert "Baker in Austin" in text and "DM for collabs" in text


@pytest.mark.parametrize("text", ["Since 2010, 1.2M fans", "@brand partner", "Top 100 in 2024",
                                  "coffee at home. Come by"])
def test_pii_scrub_leaves_ordinary_text(text: str) -> None:
    assert scrub_contacts(text) == (text, False)


def test_profile_is_pii_free_and_hash_ignores_scrape_time() -> None:
    row = {"handle": "@Canary_User", "display_name": "Canary canary.1@example.com",
           "bio": "Call +1 555 0100", "bio_url": "mailto:canary.2@example.com",
           "followers": "1.5K", "scraped_at": "2025-01-01T00:00:00Z", "extra": {"k": "v"}}
    profile = build_profile(row, "x", NOW)
    Profile.model_validate(profile)
    assert profile["handle"] == "canary_user" and profile["followers"] == 1500
    assert profile["bio_has_contact"] is True and profile["bio_url"] is None
    assert "example.com" not in str(profile) and "555" not in str(profile)
    later = build_profile({**row, "scraped_at": "2025-02-01T00:00:00Z"}, "x", NOW)
    assert later["content_hash"] == profile["content_hash"]
    changed = build_profile({**row, "followers": 1501}, "x", NOW)
    assert changed["content_hash"] != profile["content_hash"]
    assert build_profile({**row, "scraped_at": None}, "x", NOW)["scraped_at"] == NOW


def test_unknown_platform_without_url() -> None:
    with pytest.raises(RowRejected) as err:
        build_profile({"handle": "someone"}, None, NOW)
    assert err.value.code == q.UNKNOWN_PLATFORM


def test_every_reason_code_is_documented() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[3] / "docs" / "reason-codes.md").read_text()
    for code in (*q.ROW_REASONS, *q.FILE_REASONS):
        assert f"`{code}`" in doc


def test_no_control_character_reaches_a_stored_text() -> None:
    """Postgres text and jsonb refuse NUL: ids, names and extra keys arrive without any."""
    profile = build_profile({
        "handle": "abc", "platform_user_id": " 1\x002\x1f ", "display_name": "a\x00b",
        "avatar_url": "https://a.example/\x00x.png",
        "extra": {"k\x00": "v\x00", "views_count": 3, "\x00": 1, "ok": None}}, "x", NOW)
    assert profile["platform_user_id"] == "12" and profile["display_name"] == "ab"
    assert profile["extra"] == {"k": "v", "views_count": 3, "ok": None}
    texts = [v for v in profile.values() if isinstance(v, str)] + list(profile["extra"])
    assert not any(ch in text for text in texts for ch in "\x00\x1f")


def test_obfuscated_email_in_mixed_case_is_scrubbed() -> None:
    from sxp.domain.normalize import clean_scrubbed

    for text in ("jo [At] example [dot] com | fan", "jo (aT) example.com | fan"):
        assert clean_scrubbed(text) == ("fan", True)
