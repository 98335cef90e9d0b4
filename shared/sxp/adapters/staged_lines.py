"""Staged JSONL objects rewritten without some subjects' lines (erasure, suppression).

A line goes when it is a row with one of the (platform, handle) pairs, or, with `needles`,
when its text matches one (a rejects excerpt naming a handle). The object is written back
only when something went, in its own compression (gzip with mtime 0).
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Sequence

import orjson

from sxp.adapters.objectstore.base import ObjectStore


def drop_lines(store: ObjectStore, key: str, handles: set[tuple[str, ...]],
               needles: Sequence[re.Pattern[str]] = ()) -> list[tuple[str, ...] | None]:
    """Drop the lines of the subjects: rows with their platform and handle; in rejects (raw
    excerpts), any line naming a handle as a word. The handle of each line dropped (None: found
    by its text)."""
    raw = store.get_bytes(key)
    zipped = key.endswith(".gz")
    text = gzip.decompress(raw) if zipped else raw
    kept: list[bytes] = []
    dropped: list[tuple[str, ...] | None] = []
    for line in text.splitlines(keepends=True):
        holds, handle = _subject_of(line, handles, needles)
        if holds:
            dropped.append(handle)
        else:
            kept.append(line)
    if dropped:
        body = b"".join(kept)
        store.put_bytes(key, gzip.compress(body, mtime=0) if zipped else body)
    return dropped


def _subject_of(line: bytes, handles: set[tuple[str, ...]],
                needles: Sequence[re.Pattern[str]]) -> tuple[bool, tuple[str, ...] | None]:
    """Whether the line holds a subject, and its handle (None when found by text only)."""
    try:
        row = orjson.loads(line)
    except orjson.JSONDecodeError:
        row = None
    if isinstance(row, dict):
        pair = (str(row.get("platform")), str(row.get("handle")))
        if pair in handles:
            return True, pair
    lowered = line.decode("utf-8", "replace").lower() if needles else ""
    return any(needle.search(lowered) for needle in needles), None
