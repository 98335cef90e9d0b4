"""Deterministic synthetic answers for the emulators: derived from a hash of the request.

Phones use the fictional 555-01XX range and e-mails the reserved example.* domains, so no
real person's data can ever come out of a sandbox.
"""

from __future__ import annotations

import hashlib

AREA_CODES = ("212", "303", "312", "415", "512", "617", "702", "206")
LINE_TYPES = ("Mobile", "Land Line", "VoIP")
US_STATES = frozenset(
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
        "PR",
    ]
)


def digest(*parts: object) -> int:
    text = "|".join("" if p is None else str(p).strip().lower() for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def matches(rate: float, *parts: object) -> bool:
    return digest("match", *parts) % 10_000 < int(rate * 10_000)


def phone(seed: int, index: int) -> str:
    area = AREA_CODES[(seed >> (index * 3)) % len(AREA_CODES)]
    line = (seed >> (index * 5 + 7)) % 100
    return f"({area}) 555-01{line:02d}"


def email(first: str, last: str, seed: int, domain: str = "example.com") -> str:
    return f"{first.strip().title()}.{last.strip().title()}{seed % 97}@{domain.title()}"
