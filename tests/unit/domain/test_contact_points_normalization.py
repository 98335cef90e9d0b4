from __future__ import annotations

import pytest

from sxp.domain.contact_points import normalize_email, normalize_line_type, normalize_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(512) 555-0147", "+15125550147"),
        ("512.555.0147", "+15125550147"),
        ("1-512-555-0147", "+15125550147"),
        ("+1 512 555 0147", "+15125550147"),
        ("5125550147 ext. 12", "+15125550147"),
        (5125550147, "+15125550147"),
        ("+44 20 7946 0958", "+442079460958"),
        ("0044 20 7946 0958", "+442079460958"),
        ("(112) 555-0147", None),  # NPA cannot start with 1
        ("(512) 155-0147", None),  # NXX cannot start with 1
        ("555-0147", None),
        ("call me", None),
        ("", None),
        (None, None),
        ("+0 123 4567 890", None),
    ],
)
def test_normalize_phone(raw: object, expected: str | None) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Avery.Testwood@Example.COM ", "avery.testwood@example.com"),
        ("a+tag@sub.example.org", "a+tag@sub.example.org"),
        ("no-at-sign.example.com", None),
        ("two@@example.com", None),
        ("dots..twice@example.com", None),
        ("x@localhost", None),
        (42, None),
    ],
)
def test_normalize_email(raw: object, expected: str | None) -> None:
    assert normalize_email(raw) == expected


def test_line_types() -> None:
    assert normalize_line_type("Wireless") == "mobile"
    assert normalize_line_type("Land Line") == "landline"
    assert normalize_line_type("VoIP") == "voip"
    assert normalize_line_type("satellite") == "other"
    assert normalize_line_type(None) is None
