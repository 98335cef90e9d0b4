"""Every format and platform shape, and a corpus of malformed files: clear reasons, no crash."""
# ruff: noqa: E501  (the corpus is a table, one file per line)

from __future__ import annotations

import gzip
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from sxp.adapters.sources.readers import read_records
from sxp.adapters.sources.streams import open_source, sniff
from sxp.errors import FileUnreadable
from sxp.pipeline.ingest_rows import RowSink, process_records

WHEN = datetime(2025, 1, 1, tzinfo=UTC)
X = {"id": "1", "username": "x_user", "name": "X User", "description": "hi",
     "public_metrics": {"followers_count": 10, "following_count": 2, "tweet_count": 3,
                        "listed_count": 1}, "created_at": "2020-01-01T00:00:00.000Z"}
TT = {"username": "tt.user", "display_name": "TT", "bio_description": "dance",
      "follower_count": "1.2K", "following_count": 5, "likes_count": "3.4M", "video_count": 9,
      "is_verified": True}
TH = {"username": "th.user", "name": "TH", "biography": "threads bio", "is_verified": False,
      "follower_count": 7, "likes_count": 1, "quotes_count": 2, "replies_count": 3,
      "reposts_count": 4, "views_count": 5}
GEN = {"platform": "tiktok", "profile_url": "https://www.tiktok.com/@gen.user?lang=en",
       "followers": 5, "scraped_at": 1735689600}


class ListWriter:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def write(self, line: int, profile: dict[str, Any]) -> None:
        self.rows.append(orjson.loads(orjson.dumps(profile)))  # as the staged JSONL has it


def ingest_bytes(tmp: Path, data: bytes, key: str, hint: str | None = None,
                 limit: int = 50_000_000, max_row: int = 1_000_000,
                 ) -> tuple[str | None, list[dict[str, Any]], list[dict[str, Any]]]:
    writer = ListWriter()
    sink = RowSink(tmp / "n", tmp / "r.jsonl", key)
    try:
        with open_source(io.BytesIO(data), key, limit) as reader, sink:
            fmt = sniff(reader, key, None)
            process_records(read_records(reader, fmt, max_row), hint, WHEN, writer, sink)
    except FileUnreadable as exc:
        return exc.reason_code, [], []
    if sink.valid == 0 and sink.rejected == 0:
        return "no_rows", [], []
    rejects = [orjson.loads(x) for x in (tmp / "r.jsonl").read_bytes().splitlines()]
    return None, writer.rows, rejects


def jl(*rows: Any) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in rows)


def test_platform_shapes_map_to_one_model(tmp_path: Path) -> None:
    x_response = orjson.dumps({"data": [X], "includes": {}, "errors": []})
    tt_response = orjson.dumps({"username": "tt.user", "data": {
        k: v for k, v in TT.items() if k != "username"}, "error": {"code": "ok"}})
    data = jl(TH, GEN) + x_response + b"\n" + tt_response + b"\n"
    code, rows, rejects = ingest_bytes(tmp_path, data, "inbox/mixed.jsonl")
    assert code is None and rejects == []
    by_platform = {r["platform"]: r for r in rows}
    assert by_platform["x"]["handle"] == "x_user" and by_platform["x"]["posts"] == 3
    assert by_platform["x"]["extra"] == {"listed_count": 1}
    assert by_platform["threads"]["extra"]["views_count"] == 5
    tiktoks = {r["handle"]: r for r in rows if r["platform"] == "tiktok"}
    assert tiktoks["tt.user"]["followers"] == 1200 and tiktoks["tt.user"]["likes"] == 3_400_000
    assert tiktoks["gen.user"]["scraped_at"] == WHEN.isoformat()


def test_json_array_and_data_object_formats(tmp_path: Path) -> None:
    pretty = orjson.dumps({"meta": {"n": 2}, "data": [X, {**X, "username": "second"}]},
                          option=orjson.OPT_INDENT_2)
    code, rows, _ = ingest_bytes(tmp_path, pretty, "inbox/users.json")
    assert code is None and [r["handle"] for r in rows] == ["x_user", "second"]
    code, rows, _ = ingest_bytes(tmp_path, orjson.dumps([TT, TH]), "inbox/noext")
    assert code is None and len(rows) == 2


def test_csv_bom_crlf_quoted_newlines_and_dotted_headers(tmp_path: Path) -> None:
    data = ("\ufeffusername,description,public_metrics.followers_count,location\r\n"
            'csv_user,"line one\r\nline two, ""quoted""",\"12,345\",\"Austin, TX\"\r\n'
            "other_user,plain,7,\n").encode()
    code, rows, rejects = ingest_bytes(tmp_path, gzip.compress(data), "inbox/a.csv.gz", "x")
    assert code is None and rejects == []
    assert rows[0]["bio"] == 'line one\r\nline two, "quoted"' or "line two" in rows[0]["bio"]
    assert rows[0]["followers"] == 12345 and rows[0]["location"] == "Austin, TX"


BIG = b"x" * (10 * 1024 * 1024)
VALID = jl(X)
CORPUS: list[tuple[str, str, bytes, Any]] = [
    ("truncated json array", "a.json", b'[' + orjson.dumps(X) + b', {"username": "cut', (1, {"unparsable_row"})),
    ("truncated jsonl tail", "a.jsonl", VALID + b'{"username": "cu', (1, {"unparsable_row"})),
    ("invalid utf-8 jsonl row", "a.jsonl", VALID + b'{"username": "\xff\xfe"}\n', (1, {"encoding_error"})),
    ("invalid utf-8 csv row", "a.csv", b"username,description\nx_user,ok\nbad_user,\xff\xfe\n", (1, {"encoding_error"})),
    ("raw nul byte in jsonl", "a.jsonl", VALID + b'{"username": "nul\x00"}\n', (1, {"unparsable_row"})),
    ("escaped nul in bio", "a.jsonl", jl({**X, "description": "a\u0000b"}), (1, set())),
    ("10 MB single jsonl line", "a.jsonl", VALID + b'{"description": "' + BIG + b'"}\n' + VALID, (2, {"row_too_large"})),
    ("10 MB csv field", "a.csv", b"username,description\nx_user,ok\nbig," + BIG + b"\nx_two,ok\n", (2, {"row_too_large"})),
    ("csv formula injection", "a.csv", b'username,description\nx_user,"=HYPERLINK(""http://e.x"",""hi"")"\n', (1, set())),
    ("duplicate json keys", "a.jsonl", b'{"username": "first_x", "username": "x_user", "description": "d"}\n', (1, set())),
    ("nan literal", "a.jsonl", VALID + b'{"username": "n_user", "description": "d", "public_metrics": {"followers_count": NaN}}\n', (1, {"unparsable_row"})),
    ("infinity literal", "a.jsonl", VALID + b'{"username": "i_user", "description": "d", "public_metrics": {"followers_count": Infinity}}\n', (1, {"unparsable_row"})),
    ("nan as string", "a.jsonl", VALID + jl({**X, "public_metrics": {"followers_count": "NaN"}}), (1, {"invalid_count"})),
    ("mixed platforms", "a.jsonl", jl(X, TT, TH, GEN), (4, set())),
    ("header-only csv", "a.csv", b"username,description\r\n", "no_rows"),
    ("empty file", "a.jsonl", b"", "empty_file"),
    ("whitespace only", "a.json", b"  \n\n \t", "empty_file"),
    ("binary", "a.jsonl", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, "binary_file"),
    ("utf-16", "a.csv", "username\nx_user\n".encode("utf-16"), "binary_file"),
    ("named gz, not gzip", "a.jsonl.gz", VALID, "not_gzip"),
    ("truncated gzip", "a.jsonl.gz", gzip.compress(VALID * 200)[:-40], "corrupt_gzip"),
    ("gzip bomb", "a.jsonl.gz", gzip.compress(VALID * 40_000), "decompressed_too_large"),
    ("json scalar document", "a.json", b"42", "malformed_json_document"),
    ("json unbalanced", "a.json", b"]" + VALID, "malformed_json_document"),
    ("json array of scalars", "a.json", b'[1, "a", ' + orjson.dumps(X) + b"]", (1, {"not_an_object"})),
    ("data list with scalar", "a.json", b'{"data": [3, ' + orjson.dumps(X) + b"]}", (1, {"not_an_object"})),
    ("empty json array", "a.json", b"[]", "no_rows"),
    ("jsonl array line", "a.jsonl", VALID + b"[1, 2]\n", (1, {"not_an_object"})),
    ("csv extra cells", "a.csv", b"username,description\nx_user,ok\nbad,a,b,c\n", (1, {"unparsable_row"})),
    ("unknown platform", "a.jsonl", VALID + jl({"platform": "myspace", "handle": "tom"}), (1, {"unknown_platform"})),
    ("bad handle and negative count", "a.jsonl", VALID + jl({**X, "username": "bad handle"}, {**TT, "follower_count": -3}), (1, {"invalid_handle", "negative_count"})),
    ("bad timestamp", "a.jsonl", VALID + jl({**X, "created_at": "last tuesday"}), (1, {"invalid_timestamp"})),
    ("zero-width and bidi in handle", "a.jsonl", jl({**X, "username": "\u200bX_User\u202e"}), (1, set())),
    ("mixed lf and crlf csv", "a.csv", b"username,description\r\nx_user,a\nx_two,b\r\n", (2, set())),
]


@pytest.mark.parametrize(("name", "key", "data", "expected"), CORPUS, ids=[c[0] for c in CORPUS])
def test_malformed_corpus(tmp_path: Path, name: str, key: str, data: bytes, expected: Any) -> None:
    hint = "x" if key.endswith(".csv") else None
    code, rows, rejects = ingest_bytes(tmp_path, data, f"inbox/{key}", hint,
                                       limit=1_000_000 if name == "gzip bomb" else 20_000_000)
    if isinstance(expected, str):
        assert code == expected
        return
    valid, reasons = expected
    assert code is None
    assert len(rows) == valid
    assert {r["reason_code"] for r in rejects} == reasons
    for reject in rejects:
        assert reject["file"] == f"inbox/{key}" and reject["line"] >= 1
        assert len(reject["raw"]) <= 16 * 1024 + 10
    for row in rows:
        assert "\x00" not in orjson.dumps(row).decode()


def test_corpus_is_at_least_25_files() -> None:
    assert len(CORPUS) >= 25


def test_reject_lines_point_at_the_row(tmp_path: Path) -> None:
    data = VALID + b"oops\n" + VALID + jl({**X, "username": "no way!"})
    _code, rows, rejects = ingest_bytes(tmp_path, data, "inbox/l.jsonl")
    assert [(r["line"], r["reason_code"]) for r in rejects] == [
        (2, "unparsable_row"), (4, "invalid_handle")]
    assert len(rows) == 2
