from __future__ import annotations

import pytest

from sxp.domain.enrichability import (
    company_domain,
    derive_inputs,
    missing_for,
    person_name,
    us_location,
)


@pytest.mark.parametrize(("raw", "expected"), [
    ("Austin, TX", ("Austin", "TX", None)),
    ("Austin, Texas", ("Austin", "TX", None)),
    ("Austin TX 78701", ("Austin", "TX", "78701")),
    ("austin, tx, usa", ("Austin", "TX", None)),
    ("Kansas City, MO 64105-1234", ("Kansas City", "MO", "64105")),
    ("New York, New York", ("New York", "NY", None)),
    ("Winston-Salem, North Carolina, United States", ("Winston-Salem", "NC", None)),
    ("St. Louis, MO", ("St. Louis", "MO", None)),
    ("NYC", ("New York", "NY", None)),
])
def test_us_locations(raw: str, expected: tuple[str, str, str | None]) -> None:
    assert us_location(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "London, UK", "Paris", "living in la", "austin tx",
                                 "Earth 🌍", "Toronto, Ontario"])
def test_not_us_locations(raw: str | None) -> None:
    assert us_location(raw) is None


@pytest.mark.parametrize(("raw", "expected"), [
    ("Jane Synthetic", ("Jane", "Synthetic")),
    ("jane synthetic | Realtor", ("Jane", "Synthetic")),
    ("✨Ana Placeholt✨", ("Ana", "Placeholt")),
    ("Ana Placeholt 🏡 Realtor", ("Ana", "Placeholt")),
    ("Dr. Maria de la Mockridge", ("Maria", "Mockridge")),
    ("Coach Sam Fakeley - Strength", ("Sam", "Fakeley")),
    ("Mary-Jane O'Sample Jr.", ("Mary-Jane", "O'Sample")),
])
def test_person_names(raw: str, expected: tuple[str, str]) -> None:
    assert person_name(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "Madonna", "Glow Studio LLC", "Jane Realtor",
                                 "John 123 Example", "The Best Bakery", "a b"])
def test_not_person_names(raw: str | None) -> None:
    assert person_name(raw) is None


@pytest.mark.parametrize(("url", "bio", "expected"), [
    ("https://www.acme-roofing.example.com/about", None, "acme-roofing.example.com"),
    ("acmeroofing.com", None, "acmeroofing.com"),
    ("https://linktr.ee/somebody", "Book at bestbakes.co today", "bestbakes.co"),
    (None, "Broker at sunsetrealty.homes", "sunsetrealty.homes"),
    (None, "mail me: someone@gmail.com", None),
    ("https://www.instagram.com/somebody", "no links here", None),
])
def test_company_domain(url: str | None, bio: str | None, expected: str | None) -> None:
    assert company_domain(url, bio) == expected


def test_missing_reasons_depend_on_provider() -> None:
    inputs = derive_inputs("Avery Testerson", "Lisbon, Portugal", None, "hello")
    assert missing_for(inputs, "skiptrace") == ["no_us_location"]
    assert missing_for(inputs, "apollo") == ["no_domain"]
    nameless = derive_inputs("Glow Studio", "Austin, TX", "https://glow.example.com", None)
    assert missing_for(nameless, "skiptrace") == ["no_person_name"]
    assert missing_for(nameless, "apollo") == ["no_person_name"]
    full = derive_inputs("Avery Testerson", "Austin, TX", "glow.example.com", None)
    assert missing_for(full, "skiptrace") == missing_for(full, "apollo") == []
    assert set(full) == {"first_name", "last_name", "city", "state", "zip", "domain"}
