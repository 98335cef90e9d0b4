"""Stream the elements of a JSON document without loading it whole.

Handles a top-level array `[{...}, ...]` and an object whose `data` member is an array (an X API
`/2/users/by` response) or one object (a TikTok user-info response). Yields each element's raw
bytes with the line it starts on; elements larger than `max_element` are reported, not kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

from sxp.domain import quality as q
from sxp.errors import FileUnreadable

_OUTSIDE = re.compile(rb'[\[\]{}",:]')
_INSIDE = re.compile(rb'["\\]')
_WS = b" \t\r\n"
TOO_LARGE = b""  # sentinel element: the element was dropped for its size


def iter_elements(stream: BinaryIO, max_element: int,  # noqa: C901 - one byte-level state machine
                  chunk_size: int = 1 << 20) -> Iterator[tuple[int, bytes]]:
    """(line number, element bytes) for each element; TOO_LARGE for oversized ones."""
    buf = b""
    pos = 0
    line = 1
    counted = 0  # buf offset up to which newlines are in `line`
    depth = 0
    in_string = False
    escape = False
    mode = ""  # "array": elements at elem_depth; "object": looking for the data member
    elem_depth = -1
    elem_start = -1
    elem_line = 0
    dropped = False
    last_string = b""
    string_start = -1
    pending_key = b""
    eof = False
    started = False

    while True:
        if pos >= len(buf):
            if eof:
                break
            keep = elem_start if elem_start >= 0 and not dropped else pos
            if string_start >= 0 and depth == 1 and mode == "object":
                keep = min(keep, string_start)
            line += buf.count(b"\n", counted, keep)
            buf, pos = buf[keep:], pos - keep
            if elem_start >= 0 and not dropped:
                elem_start -= keep
            if string_start >= 0:
                string_start = max(string_start - keep, 0)
            counted = max(counted - keep, 0)
            chunk = stream.read(chunk_size)
            if not chunk:
                eof = True
                continue
            buf += chunk
            if elem_start >= 0 and not dropped and len(buf) - elem_start > max_element:
                dropped = True
                line += buf.count(b"\n", counted, len(buf))
                counted = len(buf)
            continue
        if escape:
            escape = False
            pos += 1
            continue
        if in_string:
            match = _INSIDE.search(buf, pos)
            if match is None:
                pos = len(buf)
                continue
            pos = match.end()
            if match.group() == b"\\":
                escape = True
            else:
                in_string = False
                if string_start >= 0:
                    last_string = buf[string_start:pos - 1]
                    string_start = -1
            continue
        match = _OUTSIDE.search(buf, pos)
        if not started:
            head = buf[pos:(match.start() if match else len(buf))].strip(_WS + b"\xef\xbb\xbf")
            if head:
                raise FileUnreadable("not a JSON array or object", q.MALFORMED_JSON_DOCUMENT)
        if match is None:
            pos = len(buf)
            continue
        char = match.group()
        at = match.start()
        pos = match.end()
        if char == b'"':
            in_string = True
            string_start = pos if (depth == 1 and mode == "object") else -1
            continue
        if not started:
            started = True
            if char == b"[":
                mode, elem_depth = "array", 1
            elif char == b"{":
                mode = "object"
            else:
                raise FileUnreadable("not a JSON array or object", q.MALFORMED_JSON_DOCUMENT)
            depth = 1
            if mode == "array":
                elem_start, elem_line = pos, 0
            continue
        if mode == "object" and depth == 1 and char == b":":
            pending_key = last_string
            last_string = b""
            if pending_key == b"data":
                nxt = _next_significant(buf, pos, stream)
                buf = nxt[0]
                if nxt[1] == b"[":
                    mode, elem_depth = "array", 2
                    pos = buf.index(b"[", pos) + 1
                    depth = 2
                    elem_start, elem_line = pos, 0
                    continue
                if nxt[1] == b"{":
                    mode, elem_depth = "single", 1
                    elem_start, elem_line = pos, 0
            continue
        if char in b"[{":
            if elem_start >= 0 and depth == elem_depth and elem_line == 0:
                elem_line = line + buf.count(b"\n", counted, at)
            depth += 1
            continue
        if char in b"]}":
            depth -= 1
            if depth < 0:
                raise FileUnreadable("unbalanced brackets", q.MALFORMED_JSON_DOCUMENT)
            if mode == "single" and depth == 1:
                yield from _emit(buf, elem_start, pos, elem_line or line, dropped)
                elem_start, dropped, mode = -1, False, "object"
            elif mode == "array" and depth == elem_depth - 1:
                yield from _emit(buf, elem_start, at, elem_line or line, dropped)
                elem_start, dropped = -1, False
                mode = "done" if elem_depth == 1 else "object"
            continue
        if char == b"," and mode == "array" and depth == elem_depth:
            yield from _emit(buf, elem_start, at, elem_line or line, dropped)
            line += buf.count(b"\n", counted, at)
            counted = at
            elem_start, elem_line, dropped = pos, 0, False
    if not started:
        raise FileUnreadable("no JSON document", q.MALFORMED_JSON_DOCUMENT)
    if depth != 0 or in_string:
        # truncated: what came before stays valid; the cut element is reported as a bad row
        tail = buf[elem_start:][:max_element].strip(_WS) if elem_start >= 0 else b""
        yield line, tail or b"<truncated>"


def _emit(buf: bytes, start: int, end: int, line: int,
          dropped: bool) -> Iterator[tuple[int, bytes]]:
    if dropped:
        yield line, TOO_LARGE
        return
    element = buf[start:end].strip(_WS)
    if element:
        yield line, element


def _next_significant(buf: bytes, pos: int, stream: BinaryIO) -> tuple[bytes, bytes]:
    """The next non-blank byte after `pos`, reading more of the stream if needed."""
    while True:
        rest = buf[pos:].lstrip(_WS)
        if rest:
            return buf, rest[:1]
        more = stream.read(1 << 16)
        if not more:
            return buf, b""
        buf += more
