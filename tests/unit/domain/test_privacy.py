"""Subjects of erasure and suppression: normalized as the tiers hold them, hashed with a key."""

from __future__ import annotations

import pytest

from sxp.domain.privacy import keyed_hash, normalized_subject


def test_subjects_are_normalized_and_bad_ones_refused() -> None:
    assert normalized_subject("handle", " tiktok:@Dana.Homes ") == "tiktok:dana.homes"
    assert normalized_subject("handle", "X:https://x.com/Dana_K") == "x:dana_k"
    assert normalized_subject("email", " Jane@Example.COM ") == "jane@example.com"
    assert normalized_subject("phone", "(415) 555-0142") == "+14155550142"
    assert normalized_subject("phone", "+44 20 7946 0958") == "+442079460958"
    for kind, value in (("handle", "dana"), ("handle", "myspace:dana"), ("email", "nope"),
                        ("phone", "12"), ("ssn", "1")):
        with pytest.raises(ValueError):
            normalized_subject(kind, value)


def test_the_keyed_hash_depends_on_the_key_and_the_kind() -> None:
    a = keyed_hash(b"k1", "email", "jane@example.com")
    assert len(a) == 64 and a == keyed_hash(b"k1", "email", "jane@example.com")
    assert a != keyed_hash(b"k2", "email", "jane@example.com")
    assert a != keyed_hash(b"k1", "handle", "jane@example.com")
