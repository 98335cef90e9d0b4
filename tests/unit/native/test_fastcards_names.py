"""`_fastcards.person_name` is `sxp.domain.enrichability.person_name` for every ASCII name
without a newline, and leaves the others to it (NotImplemented); `sxp.native.person_name`
gives the reference's answer for every name."""

from __future__ import annotations

import random
from typing import Any

import pytest

from sxp.domain import enrichability
from sxp.domain.enrichability import person_name
from sxp.native import person_name as native_person_name
from sxp.sample.generate import generate_profiles

TOKENS = [
    *"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", *" " * 12, ".", "'", "-", "|", "/",
    ",", "$", "+", "~", "^", "`", "<", "=", ">", "0", "7", "_", "\t", "\x0b", "\x0c", "\r",
    "\x1c", "\x1f", "\x7f", "\x00", "@", "&", "!", "(", ")", "*", "#", " - ", " | ", "--", "''",
    "Jane", "DOE", "o'neil", "mary-jane", "Dr", "dr.", "MRS", "Jr", "iii", "PhD", "llc", "Realty",
    "studio", "The", "coach", "chef", "...", " . ",
]


@pytest.fixture
def name_of() -> Any:
    combined = native_person_name()
    assert combined is not None, "the native extension is not built (make builds it)"
    return combined


@pytest.fixture
def native(name_of: Any) -> Any:  # configured by `sxp.native.person_name()`
    from sxp.native import _fastcards  # type: ignore[attr-defined]

    return _fastcards.person_name


def drawn_names(seed: int, count: int) -> list[str]:
    rnd = random.Random(seed)
    return ["".join(rnd.choice(TOKENS) for _ in range(rnd.randrange(0, 14)))
            for _ in range(count)]


def test_drawn_ascii_names_are_the_references(native: Any, name_of: Any) -> None:
    decided = 0
    for name in drawn_names(20261204, 60_000):
        got = native(name)
        assert got is not NotImplemented, repr(name)  # ASCII without a newline: all in C
        assert got == person_name(name), repr(name)
        assert name_of(name) == got
        decided += got is not None
    assert decided > 1_000  # the draw reaches names, not only refusals


@pytest.mark.parametrize("name", [
    None, "", " ", "Avery Rook", "  Avery   Rook  ", "AVERY ROOK", "avery rook", "Avery R",
    "A Rook", "Dr. Jane Doe", "Dr Mrs Jane Doe Jr PhD", "Jane Doe | Realtor", "Jane Doe / x",
    "Jane Doe, MD", "Jane Doe - Realtor", "Jane Doe -Realtor", "Jane-Doe Smith",
    "mary-jane o'neil", "MARY-JANE O'NEIL", "Mary-jane Smith", "o''neil smith", "o'-neil smith",
    "'neil smith", "neil- smith", "Jane Q. Doe", "Jane . Doe", "J. Doe", "Jane Doe.",
    "...Jane Doe...", "Jane $ Doe", "$$ Jane Doe", "| Jane Doe", "Jane\tDoe", "Jane\x1cDoe",
    "Jane\x7fDoe", "\x00Jane Doe", "Jane  \t  | Doe", "Jane \t- Doe", "Jane Doe Smith Brown",
    "Jane Doe Smith Brown Green", "Acme LLC", "The Jane Doe", "Jane Doe Studio", "Jane 2 Doe",
    "Jane_Doe Smith", "Jane Doe!", "Jane,Doe", "Jane/Doe", "Jane-Doe", "Jane -Doe Smith",
    "dr", "dr jr", "Coach Jane Doe", "Jane Doe iii", "x" * 70 + " Doe", " ".join(["ab"] * 40),
])
def test_edges_are_the_references(name_of: Any, native: Any, name: str | None) -> None:
    got = native(name)
    assert got is NotImplemented or got == person_name(name)
    assert name_of(name) == person_name(name)


@pytest.mark.parametrize("name", ["Jösé Pérez", "Jane\nDoe", "Jane Doe\n", "Ｊａｎｅ Ｄｏｅ",
                                  "Jane Doe 😀", "Jane\u2028Doe", "Jane Doe • Realtor"])
def test_what_c_leaves_to_python_gets_pythons_answer(name_of: Any, native: Any,
                                                    name: str) -> None:
    assert native(name) is NotImplemented
    assert name_of(name) == person_name(name)


def texts_of(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in texts_of(v)]
    if isinstance(value, list):
        return [t for v in value for t in texts_of(v)]
    return []


def test_the_generators_texts_are_the_references(native: Any) -> None:
    """Every text of the sample generator's profiles (their display names among them)."""
    texts = {t for row in generate_profiles(3_000, seed=20240601) for t in texts_of(row)}
    assert len(texts) > 3_000
    named = 0
    for text in texts:
        got = native(text)
        assert got is NotImplemented or got == person_name(text), repr(text)
        named += got not in (None, NotImplemented)
    assert named > 500


def test_the_word_sets_are_the_python_modules(native: Any) -> None:
    for word in enrichability._HONORIFICS:
        assert native(f"{word} Jane Doe") == person_name(f"{word} Jane Doe") == ("Jane", "Doe")
    for word in enrichability._BUSINESS_WORDS:
        assert native(f"Jane {word} Doe") is None
