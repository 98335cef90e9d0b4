"""The one scrubber: the contact forms a reviewer would try are found in every field that
reaches Tier 1 or a staged object, and log text keeps what is not PII."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import orjson
import pytest

from sxp.domain.profile_builder import build_profile
from sxp.domain.scrub import holds_email, mask_contacts, scrub_contacts, scrub_link

NOW = datetime(2026, 12, 1, tzinfo=UTC)
# what must never survive: the canary mailbox and number in any spelling
CANARY = re.compile(r"jane|5550139924|555\D?013\D?9924|9924", re.IGNORECASE)

TEXT_FORMS = [
    "jane@example.com", "Jane.Doe@Example.COM", "jane at example dot com",
    "jane [at] example [dot] com", "jane(at)example(dot)com", "jane ( at ) example { dot } com",
    "jane\uff20example\uff0ecom", "jane.doe @ example.com",
    "555-013-9924", "555\u2013013\u20139924", "555\u2014013\u20149924", "(555) 013 9924",
    "+1 555 013 9924", "15550139924", "5550139924", "\uff15\uff15\uff15\uff10\uff11\uff13"
    "\uff19\uff19\uff12\uff14",
]


@pytest.mark.parametrize("form", TEXT_FORMS)
def test_every_text_form_is_scrubbed_and_counted(form: str) -> None:
    text, found = scrub_contacts(f"Realtor | {form} | Denver")
    assert found and not CANARY.search(text or "")
    assert mask_contacts(f"row {form} end").count("[redacted]") >= 1
    assert not CANARY.search(mask_contacts(f"row {form} end"))


@pytest.mark.parametrize("field", ["display_name", "bio", "location"])
@pytest.mark.parametrize("form", TEXT_FORMS)
def test_text_fields_of_a_profile_keep_no_contact(field: str, form: str) -> None:
    profile = build_profile({"handle": "someone", field: f"hi {form}"}, "x", NOW)
    assert profile["bio_has_contact"] is True
    assert not CANARY.search(orjson.dumps(profile).decode().replace("someone", ""))


@pytest.mark.parametrize(("field", "value"), [
    ("bio_url", "mailto:jane@example.com"), ("bio_url", "TEL:+15550139924"),
    ("bio_url", "https://wa.me/15550139924"), ("bio_url", "wa.me/15550139924"),
    ("bio_url", "https://api.whatsapp.com/send?phone=15550139924"),
    ("bio_url", "https://example.com/?contact=jane%40example.com"),
    ("bio_url", "https://example.com/?contact=jane@example.com"),
    ("avatar_url", "https://cdn.example.com/a.jpg?owner=jane@example.com"),
    ("avatar_url", "https://cdn.example.com/jane%40example.com.jpg"),
    ("platform_user_id", "jane@example.com"), ("platform_user_id", "jane at example dot com"),
])
def test_links_and_ids_that_carry_a_contact_are_dropped_and_counted(field: str,
                                                                    value: str) -> None:
    profile = build_profile({"handle": "someone", field: value}, "x", NOW)
    assert profile[field] is None and profile["bio_has_contact"] is True


def test_an_extra_keyed_by_an_email_is_dropped_and_its_values_scrubbed() -> None:
    profile = build_profile({"handle": "someone", "extra": {
        "jane@example.com": "x", "note": "text 555\u2013013\u20139924", "ok": 1}}, "x", NOW)
    assert profile["extra"] == {"note": "text", "ok": 1}
    assert profile["bio_has_contact"] is True


def test_plain_links_ids_and_prose_are_left_alone() -> None:
    for url in ("https://pbs.twimg.com/profile_images/1234567890/a.jpg",
                "https://biz.example.com/about", "https://x.com/someone?lang=en"):
        assert scrub_link(url) == (url, False)
    assert not holds_email("1234567890123") and not holds_email("user_42")
    for prose in ("Realtor at Compass", "meet me at home. Today", "2015 - 2016 (2017)",
                  "followers 12,345,678"):
        assert scrub_contacts(prose) == (prose, False)


@pytest.mark.parametrize("line", [
    "inbox/2026-12-01/1a2b-x.jsonl", "2026-12-01 23:59:59.123456", "2026-12-01T23:59:59+00:00",
    "127.0.0.1:54321", "10.244.12.155:5432", "[::1]:8080", "worker vm-12345-0001",
    "thread 140234567890123", "epoch 1733097600", "ms 1733097600123",
    "stage/file-00000002/normalized/part-00001.jsonl", "etag 5d41402abc4b2a76b9719d911017c592",
    "took 1234.5678 ms",
])
def test_the_log_scrubber_keeps_what_is_not_pii(line: str) -> None:
    assert mask_contacts(line) == line
