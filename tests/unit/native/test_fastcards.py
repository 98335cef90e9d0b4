"""The native card numbers are `sxp.domain.cards.card_numbers` to the bit, and step aside for
counts a double does not hold exactly; the native COPY rows are
`sxp.adapters.postgres.cards.card_copy_rows` to the byte."""

from __future__ import annotations

import math
import random
import struct
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import orjson
import pytest

from sxp.adapters.postgres.cards import FRESH, BuiltCard, card_copy_rows
from sxp.adapters.rules_file import load_ruleset
from sxp.config import Settings
from sxp.domain.cards import CardScores, ProfileSignals, card_numbers, score_card, scored_facts
from sxp.domain.rule_compiler import compile_ruleset
from sxp.domain.rules import Labeling
from sxp.native import card_copy_rows as native_card_copy_rows
from sxp.native import card_numbers as native_card_numbers

from ..profile_rows import profile_rows

SCRAPED = datetime(2026, 11, 1, tzinfo=UTC)
IDENTITY = [(0.0, 0.0, 0.0), (1.0, 0.0, 1.0), (1.0, 1.0, 1.0)]


@pytest.fixture
def native() -> Any:
    numbers = native_card_numbers()
    assert numbers is not None, "the native extension is not built (make builds it)"
    return numbers


def profile(**fields: Any) -> ProfileSignals:
    base: dict[str, Any] = {"profile_id": 1, "platform": "x", "handle": "synthetic",
                            "content_hash": "h", "scraped_at": SCRAPED}
    return ProfileSignals(**(base | fields))


def bits(value: Any) -> Any:
    """A value with every float as its bit pattern (so 0.0 and -0.0 differ) and its type."""
    if isinstance(value, float):
        return ("float", struct.pack("<d", value))
    if isinstance(value, dict):
        return {k: bits(v) for k, v in value.items()}, list(value)
    if isinstance(value, tuple | list):
        return [bits(v) for v in value]
    return type(value).__name__, value


def assert_same(native: Any, p: ProfileSignals, flags: tuple[float, float, float]) -> None:
    expected = card_numbers(p, *flags)
    got = native(p, *flags)
    assert got is not None, p
    assert bits(got) == bits(expected), p
    assert orjson.dumps(got) == orjson.dumps(expected)


def test_drawn_profiles_give_the_same_numbers(native: Any) -> None:
    for i, row in enumerate(profile_rows(3000)):
        assert_same(native, ProfileSignals(**row), IDENTITY[i % len(IDENTITY)])


@pytest.mark.parametrize("fields", [
    {},
    {"followers": 0, "posts": 0, "likes": 0},
    {"followers": -5, "posts": -1, "likes": -3},  # negative counts score as none
    {"followers": 1, "likes": -1},  # a negative ratio: rounds to -0.0
    {"followers": 100_000, "likes": -1},
    {"followers": 32, "likes": 1},  # 1/32 = 0.03125: a tie at the fourth decimal (even: 0.0312)
    {"followers": 32, "likes": 3},  # 0.09375, the other way (0.0938)
    {"followers": 0, "likes": 10**15},  # an integral ratio beyond 1e9 rounds to itself
    {"followers": 3, "likes": 10**15},  # a large ratio with a fraction: Python's round
    {"followers": 2**53, "posts": 2**53, "likes": 2**53},
    {"followers": -(2**53), "likes": 2**53},
    {"followers": 999_999, "posts": 9_999},  # just below the scale's ends
    {"followers": 1_000_000, "posts": 10_000, "likes": 100 * 10**6},
    {"bio": "  \u2003 padded\tbio \u3000\n", "bio_url": " \u00a0 ", "location": "\u2029"},
    {"bio": "x" * 500, "bio_url": "a", "location": "b", "is_verified": True,
     "bio_has_contact": True},
    {"bio": "", "bio_url": "", "location": ""},
    {"account_created_at": SCRAPED + timedelta(days=3)},  # created after the scrape: 0 days
    {"account_created_at": SCRAPED - timedelta(days=1095, seconds=1)},
    {"account_created_at": SCRAPED - timedelta(days=365, hours=23)},
    {"account_created_at": datetime(2020, 1, 1, 23, tzinfo=timezone(timedelta(hours=-7)))},
    {"is_verified": None, "bio_has_contact": None},
])
def test_edges_give_the_same_numbers(native: Any, fields: dict[str, Any]) -> None:
    for flags in IDENTITY:
        assert_same(native, profile(**fields), flags)


def test_random_counts_and_ratios_give_the_same_numbers(native: Any) -> None:
    draw = random.Random(2026)
    for _ in range(20_000):
        scale = 10 ** draw.randint(0, 15)
        p = profile(followers=draw.choice([None, draw.randint(-2, scale)]),
                    posts=draw.choice([None, draw.randint(-2, scale)]),
                    likes=draw.choice([None, draw.randint(-2, scale)]),
                    is_verified=draw.random() < 0.5,
                    account_created_at=SCRAPED - timedelta(seconds=draw.randint(-10**6, 10**9)))
        assert_same(native, p, IDENTITY[draw.randrange(len(IDENTITY))])


@pytest.mark.parametrize("fields", [{"followers": 2**53 + 1}, {"posts": -(2**53) - 1},
                                    {"likes": 10**30}, {"followers": 2.5}, {"likes": True}])
def test_counts_beyond_a_double_are_left_to_python(native: Any, fields: dict[str, Any]) -> None:
    p = profile(**fields)
    assert native(p, 0.0, 0.0, 0.0) is None
    assert bits(vars(score_card(p, native))) == bits(vars(score_card(p)))


def test_a_profile_read_from_its_attributes_gives_the_same_numbers(native: Any) -> None:
    class Attributes:  # no instance dict holding the fields: they are read as attributes
        __slots__ = ("followers", "posts", "likes", "is_verified", "bio", "bio_url",
                     "location", "bio_has_contact", "scraped_at", "account_created_at")

    p = profile(followers=120, posts=7, likes=9000, bio="bio", location="Austin, TX",
                account_created_at=SCRAPED - timedelta(days=800))
    attributes = Attributes()
    for name in Attributes.__slots__:
        setattr(attributes, name, getattr(p, name))
    assert bits(native(attributes, 1.0, 1.0, 0.0)) == bits(card_numbers(p, 1.0, 1.0, 0.0))


def test_errors_are_python_errors(native: Any) -> None:
    naive = profile(account_created_at=datetime(2020, 1, 1))  # aware minus naive
    with pytest.raises(TypeError):
        card_numbers(naive, 0.0, 0.0, 0.0)
    with pytest.raises(TypeError):
        native(naive, 0.0, 0.0, 0.0)
    with pytest.raises(AttributeError):
        native(object(), 0.0, 0.0, 0.0)
    with pytest.raises(TypeError):
        native(profile())
    assert math.isclose(native(profile(followers=10), 0.0, 0.0, 0.0)[1], 0.0347)


# ---------------------------------------------------------------- the cards' COPY rows

@pytest.fixture
def native_copy_rows() -> Any:
    copy_rows = native_card_copy_rows()
    assert copy_rows is not None, "the native extension is not built (make builds it)"
    return copy_rows


def built_cards(rows: list[dict[str, Any]]) -> list[BuiltCard]:
    ruleset = load_ruleset(Settings())
    label = compile_ruleset(ruleset)
    decisions = [FRESH, ("new", "budget_exhausted"), ("ineligible", "no_person_name"),
                 ("ineligible", "a\\b\tc\nd\re")]
    cards = []
    for i, row in enumerate(rows):
        p = ProfileSignals(**row)
        scores = score_card(p)
        cards.append((p, scores, label(scored_facts(p, scores)), decisions[i % len(decisions)]))
    return cards


def test_copy_rows_of_drawn_cards_are_the_reference_bytes(native_copy_rows: Any) -> None:
    cards = built_cards(profile_rows(3000))
    for version, labeled_at in [("v3", "2026-11-01 00:00:00+00"), ("v\\3\t", "now\n")]:
        assert native_copy_rows(cards, version, labeled_at) == card_copy_rows(
            cards, version, labeled_at)
    assert native_copy_rows([], "v", "t") == card_copy_rows([], "v", "t") == b""


def test_copy_rows_escape_every_value_as_the_reference(native_copy_rows: Any) -> None:
    (p, scores, labeling, _decision), = built_cards(profile_rows(1))
    odd = ProfileSignals(**(vars(p) | {"platform": "x\t", "handle": "h\\a\nn\rd 😀",
                                       "content_hash": "c\\h"}))
    odd_scores = object.__new__(CardScores)
    odd_scores.__dict__.update(vars(scores) | {
        "readiness": "re\tady", "readiness_score": 1, "base_confidence": Decimal("0.5000"),
        "signals": {"quote": 'say "hi"\\', "tab": "\t", "n": 1e-7, "big": 1e22},
        "enrich_inputs": {"first_name": "Zoë", "last_name": None}})
    odd_labels = Labeling(labels={"persona": "a\tb", "tribe": None, "audience_pool": "p\\q"},
                          rules_fired=["r\n1", "r2"])
    unscored = object.__new__(CardScores)  # str() of what is no float, unescaped, as str()
    unscored.__dict__.update(vars(scores) | {"readiness_score": None, "base_confidence": "a\tb"})
    cards = [(odd, odd_scores, odd_labels, ("ineligible", None)),
             (p, scores, labeling, ("new", "x\ty")), (p, unscored, labeling, FRESH)]
    assert native_copy_rows(cards, "v", "t") == card_copy_rows(cards, "v", "t")


def test_copy_rows_raise_where_the_reference_raises(native_copy_rows: Any) -> None:
    (p, scores, labeling, decision), = built_cards(profile_rows(1))
    for bad in [ProfileSignals(**(vars(p) | {"handle": "\ud800"})),  # no UTF-8 for it
                ProfileSignals(**(vars(p) | {"platform": None}))]:
        card = [(bad, scores, labeling, decision)]
        with pytest.raises((UnicodeEncodeError, TypeError)) as reference:
            card_copy_rows(card, "v", "t")
        with pytest.raises(reference.type):
            native_copy_rows(card, "v", "t")
    with pytest.raises(TypeError):
        native_copy_rows([(p, scores, labeling)], "v", "t")


def test_copy_rows_of_random_texts_are_the_reference_bytes(native_copy_rows: Any) -> None:
    draw = random.Random(14)
    alphabet = "ab \t\n\r\\\"'/é😀\u2028\x00\x1f"
    (p, scores, labeling, _decision), = built_cards(profile_rows(1))

    def text() -> str:
        return "".join(draw.choice(alphabet) for _ in range(draw.randint(0, 12)))

    cards = []
    for _ in range(2000):
        profile = ProfileSignals(**(vars(p) | {"handle": text(), "content_hash": text()}))
        drawn = object.__new__(CardScores)
        drawn.__dict__.update(vars(scores) | {"enrich_inputs": {"city": text(), "zip": None}})
        labels = Labeling(labels={"persona": draw.choice([None, text()]), "tribe": text()},
                          rules_fired=[text()])
        cards.append((profile, drawn, labels, (text(), draw.choice([None, text()]))))
    version, labeled_at = text(), text()
    assert native_copy_rows(cards, version, labeled_at) == card_copy_rows(cards, version,
                                                                          labeled_at)
