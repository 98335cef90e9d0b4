"""The native KeyFilter: every key given before is reported, few others are, memory stays small."""

from __future__ import annotations

import random
from typing import Any

import pytest

from sxp.native import load


@pytest.fixture
def native() -> Any:
    module = load()
    assert module is not None, "the native extension is not built (make builds it)"
    return module


def _add(key_filter: Any, keys: list[tuple[str, str]]) -> list[int]:
    result: list[int] = key_filter.add("\n".join(p for p, _h in keys),
                                       "\n".join(h for _p, h in keys))
    return result


def test_keys_given_before_are_reported_by_position(native: Any) -> None:
    key_filter = native.KeyFilter()
    assert _add(key_filter, [("x", "a"), ("x", "b"), ("tiktok", "a"), ("x", "")]) == []
    assert _add(key_filter, [("threads", "a"), ("x", "b"), ("x", ""), ("x", "ab")]) == [1, 2]
    assert _add(key_filter, [("x", "ab")]) == [0]
    # the platform and the handle are kept apart: ("x", "ab") is not ("xa", "b")
    assert _add(key_filter, [("xa", "b"), ("x", "\u00e9t\u00e9"), ("x", "\u00e9t\u00e9")]) == [2]


def test_no_key_is_forgotten_as_the_filter_grows(native: Any) -> None:
    rng = random.Random(11)
    keys = [(rng.choice(["x", "tiktok", "threads"]), f"user_{i}_{rng.randrange(10**9)}")
            for i in range(1_200_000)]
    key_filter = native.KeyFilter()
    false_positives = sum(len(_add(key_filter, keys[i:i + 12_000]))
                          for i in range(0, len(keys), 12_000))
    assert false_positives < len(keys) * 0.01
    assert key_filter.nbytes < len(keys) * 5  # bytes: 1.5 per key a layer holds, layers double
    for start in range(0, len(keys), 100_003):
        part = keys[start:start + 5_000]
        assert _add(key_filter, part) == list(range(len(part)))


def test_texts_with_different_numbers_of_keys_are_refused(native: Any) -> None:
    with pytest.raises(ValueError, match="different numbers of keys"):
        native.KeyFilter().add("x\nx", "a")
    with pytest.raises(TypeError):
        native.KeyFilter().add(b"x", "a")
