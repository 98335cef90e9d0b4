"""Streaming readers: each yields `RawRecord`s (line number, parsed object or reason code, raw).

JSONL: one object per line (an envelope line `{"data": [...]}` expands to its elements).
JSON: a top-level array, or an object with a `data` list/object (streamed, never loaded whole).
CSV: UTF-8 with or without BOM, CRLF or LF, quoted fields with newlines; dotted headers such as
`public_metrics.followers_count` are kept as flat keys the shape mappers understand.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any, BinaryIO, NamedTuple

import orjson

from sxp.adapters.sources.jsonstream import TOO_LARGE, iter_elements
from sxp.domain import quality as q
from sxp.domain.scrub import mask_contacts
from sxp.errors import FileUnreadable

RAW_KEEP = 16 * 1024  # bytes of a raw row kept in the rejects file


class RawRecord(NamedTuple):
    """One source row: its line, the parsed object (None when unusable), raw bytes, error code."""

    line: int
    value: dict[str, Any] | None
    raw: bytes
    error: str | None = None


def read_records(reader: BinaryIO, fmt: str, max_row_bytes: int) -> Iterator[RawRecord]:
    if fmt == "jsonl":
        return read_jsonl(reader, max_row_bytes)
    if fmt == "json":
        return read_json(reader, max_row_bytes)
    return read_csv(reader, max_row_bytes)


def parse_object(line: int, raw: bytes) -> RawRecord:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return RawRecord(line, None, raw[:RAW_KEEP], q.ENCODING_ERROR)
        return RawRecord(line, None, raw[:RAW_KEEP], q.UNPARSABLE_ROW)
    if not isinstance(value, dict):
        return RawRecord(line, None, raw[:RAW_KEEP], q.NOT_AN_OBJECT)
    return RawRecord(line, value, raw)


def jsonl_record(line: int, raw: bytes) -> RawRecord | None:
    """One JSONL line (with or without its line end) as a record; None for a blank line."""
    if line == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if not raw or raw.isspace():
        return None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return parse_object(line, raw.rstrip(b"\r\n"))
    if type(value) is dict:
        return RawRecord(line, value, raw)
    return RawRecord(line, None, raw.rstrip(b"\r\n")[:RAW_KEEP], q.NOT_AN_OBJECT)


def read_jsonl(reader: BinaryIO, max_row_bytes: int) -> Iterator[RawRecord]:
    line = 0
    while True:
        raw = reader.readline(max_row_bytes + 1)
        if not raw:
            return
        line += 1
        if len(raw) > max_row_bytes and not raw.endswith(b"\n"):
            while (rest := reader.readline(1 << 20)) and not rest.endswith(b"\n"):
                pass
            yield RawRecord(line, None, raw[:RAW_KEEP], q.ROW_TOO_LARGE)
            continue
        record = jsonl_record(line, raw)
        if record is not None:
            yield record


def read_json(reader: BinaryIO, max_row_bytes: int) -> Iterator[RawRecord]:
    for line, element in iter_elements(reader, max_row_bytes):
        if element is TOO_LARGE or element == TOO_LARGE:
            yield RawRecord(line, None, b"", q.ROW_TOO_LARGE)
        else:
            yield parse_object(line, element)


def read_csv(reader: BinaryIO, max_row_bytes: int) -> Iterator[RawRecord]:
    text = io.TextIOWrapper(reader, encoding="utf-8-sig", errors="surrogateescape", newline="")
    csv.field_size_limit(max(max_row_bytes, 1024))
    rows = csv.reader(text)
    header: list[str] | None = None
    previous_end = 0
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            line = previous_end + 1
            previous_end = rows.line_num
            code = q.ROW_TOO_LARGE if "field larger" in str(exc) else q.UNPARSABLE_ROW
            yield RawRecord(line, None, str(exc).encode()[:RAW_KEEP], code)
            continue
        line = previous_end + 1
        previous_end = rows.line_num
        if header is None:
            header = [h.strip() for h in row]
            _check_header(header)
            continue
        if not any(cell.strip() for cell in row):
            continue
        raw = _csv_raw(row)
        if any(_has_surrogates(cell) for cell in row):
            yield RawRecord(line, None, raw.decode("utf-8", "replace").encode(), q.ENCODING_ERROR)
            continue
        if len(raw) > max_row_bytes:
            yield RawRecord(line, None, raw[:RAW_KEEP], q.ROW_TOO_LARGE)
            continue
        if len(row) > len(header):
            yield RawRecord(line, None, raw[:RAW_KEEP], q.UNPARSABLE_ROW)
            continue
        value = {k: (v if v != "" else None) for k, v in zip(header, row, strict=False) if k}
        yield RawRecord(line, value, raw)


def _check_header(header: list[str]) -> None:
    """A header naming no profile column fails the file (rather than rejecting every row as
    `missing_handle`), with the columns found."""
    if not any(column in q.HANDLE_COLUMNS for column in header):
        # a data row taken for a header may hold contacts: masked like every reject
        found = mask_contacts(", ".join(repr(c[:40]) for c in header[:12])
                              + (" …" if len(header) > 12 else ""))
        raise FileUnreadable(f"the CSV's columns match no known shape (it needs one of "
                             f"{', '.join(q.HANDLE_COLUMNS)}); found {len(header)}: {found}",
                             q.UNKNOWN_COLUMNS)


def _csv_raw(row: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(row)
    return out.getvalue().encode("utf-8", "surrogateescape")


def _has_surrogates(cell: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in cell) if not cell.isascii() else False
