"""The native (C) per-row paths, with the Python code as reference and fallback: JSONL ingest
(`_fastrows`), and a lead card's numbers, COPY row and person name (`_fastcards`).

`load()` gives the ingest's extension module ready to use (its Unicode table set for this
process), `card_numbers()` the twin of `sxp.domain.cards.card_numbers` (its weights set from
that module), `card_copy_rows()` that of `sxp.adapters.postgres.cards.card_copy_rows` and
`person_name()` that of `sxp.domain.enrichability.person_name` (its word sets from it), or
None when they were not built: setup.py builds them wherever a C compiler is present and
installs sxp without them otherwise, so every entrypoint still works, on the Python path.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import ModuleType
from typing import Any

import orjson

from sxp.domain.cards import CardNumbers
from sxp.domain.enrichability import PersonName

# `card_copy_rows(cards, ruleset_version, labeled_at)`: a chunk's built cards as COPY text rows
CopyRows = Callable[[Any, str, str], bytes]


@functools.cache
def load() -> ModuleType | None:
    try:
        from sxp.native import _fastrows  # type: ignore[attr-defined]
    except ImportError:
        return None
    from sxp.native.unicode_flags import unicode_flags

    _fastrows.set_unicode_flags(unicode_flags())
    module: ModuleType = _fastrows
    return module


@functools.cache
def card_numbers() -> CardNumbers | None:
    try:
        from sxp.native import _fastcards  # type: ignore[attr-defined]
    except ImportError:
        return None
    from sxp.domain import cards

    _fastcards.configure(tuple(cards.READINESS_WEIGHTS.values()),
                         tuple(cards.CONFIDENCE_WEIGHTS.values()), cards.READY_AT,
                         cards.PARTIAL_AT)
    numbers: CardNumbers = _fastcards.card_numbers
    return numbers


@functools.cache
def card_copy_rows() -> CopyRows | None:
    try:
        from sxp.native import _fastcards  # type: ignore[attr-defined]
    except ImportError:
        return None

    def copy_rows(cards: Any, ruleset_version: str, labeled_at: str) -> bytes:
        rows: bytes = _fastcards.card_copy_rows(cards, ruleset_version, labeled_at,
                                                orjson.dumps)
        return rows

    return copy_rows


@functools.cache
def person_name() -> PersonName | None:
    """`sxp.domain.enrichability.person_name` in C for ASCII names, and in Python for the
    others (None when the extension was not built)."""
    try:
        from sxp.native import _fastcards  # type: ignore[attr-defined]
    except ImportError:
        return None
    from sxp.domain import enrichability

    _fastcards.configure_names(enrichability._HONORIFICS, enrichability._SUFFIXES,
                               enrichability._BUSINESS_WORDS)
    native = _fastcards.person_name
    reference = enrichability.person_name
    not_decided = NotImplemented

    def name_of(display_name: str | None) -> tuple[str, str] | None:
        name = native(display_name)
        return reference(display_name) if name is not_decided else name

    return name_of
