"""Per code point flags for the native path, computed from this Python's own `unicodedata`
and `re`, so the C code classifies characters exactly as the Python path does.

- INERT: NFC leaves any string of such characters unchanged: no canonical decomposition,
  combining class 0, and never the second character of a canonical composition (Hangul vowel
  and trailing jamo included). Text with any other character goes to the Python path.
- STRIP: removed by `normalize.clean_text` (controls, invisible and bidi characters).
- SPACE: `str.isspace` (what `str.strip` removes). REDIGIT / RESPACE: `re`'s `\\d` / `\\s`
  (the phone pattern's classes).
Code points from LIMIT on (rare scripts, CJK extensions) have no flags: such text goes to the
Python path.
"""

from __future__ import annotations

import re
import unicodedata

from sxp.domain.normalize import STRIP_TEXT

INERT, STRIP, SPACE, REDIGIT, RESPACE = 1, 2, 4, 8, 16
LIMIT = 0x20000
_HANGUL_SECONDS = (*range(0x1161, 0x1176), *range(0x11A8, 0x11C3))


def unicode_flags(limit: int = LIMIT) -> bytes:
    seconds = set(_HANGUL_SECONDS)
    decomposed = bytearray(limit)
    for cp in range(limit):
        decomposition = unicodedata.decomposition(chr(cp))
        if decomposition:
            decomposed[cp] = 1
            parts = decomposition.split()
            if not decomposition.startswith("<") and len(parts) == 2:
                seconds.add(int(parts[1], 16))
    digit, space = re.compile(r"\d").match, re.compile(r"\s").match
    table = bytearray(limit)
    for cp in range(limit):
        ch = chr(cp)
        flags = 0
        if not decomposed[cp] and cp not in seconds and not unicodedata.combining(ch):
            flags |= INERT
        if cp in STRIP_TEXT:
            flags |= STRIP
        if ch.isspace():
            flags |= SPACE
        if digit(ch):
            flags |= REDIGIT
        if space(ch):
            flags |= RESPACE
        table[cp] = flags
    return bytes(table)
