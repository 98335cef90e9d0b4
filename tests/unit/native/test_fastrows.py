"""The native (C) block path gives byte for byte what the Python path gives: staged normalized
lines, Tier 1 COPY tuples and keys, rejects and counts, on awkward rows and on seeded fuzz."""
# ruff: noqa: E501  (the awkward rows are a table, one row per line)

from __future__ import annotations

import random
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from sxp.native import load
from sxp.native.unicode_flags import INERT, unicode_flags
from sxp.pipeline.ingest_parallel import BlockResult, process_block
from sxp.sample.generate import generate_profiles

WHEN = datetime(2025, 6, 1, tzinfo=UTC)
MAX_ROW = 1_000_000

AWKWARD: list[Any] = [
    # text: non-ASCII, combining marks, invisible and bidi characters, controls, escapes
    {"platform": "x", "handle": "a1", "bio": "Caf\u00e9 \U0001F600 \u4e2d\u6587", "scraped_at": 1},
    {"platform": "x", "handle": "a2", "bio": "e\u0301 combining", "display_name": "\u212b"},
    {"platform": "x", "handle": "a3", "bio": "zero\u200bwidth \u202ebidi\u202c \ufeffbom"},
    {"platform": "x", "handle": "a4", "bio": "tab\there\nnew line\r\x0b\x1c end  ",
     "location": "  \u00a0Austin\u3000 "},
    {"platform": "x", "handle": "a5", "bio": "nul \u0000 and \u0007 bell"},
    {"platform": "x", "handle": "a6", "display_name": "\u0130stanbul \u212a \u017f", "bio": "x" * 5000},
    {"platform": "x", "handle": "a7", "bio": "\u1100\u1161 jamo \uac00\u11a8", "location": "\U00020000"},
    # contacts: e-mails (obfuscated in any case), phones, digits of other scripts
    {"platform": "x", "handle": "b1", "bio": "mail me: Jo.Doe@Example.com | fan"},
    {"platform": "x", "handle": "b2", "bio": "jo [At] example [dot] com", "display_name": "a (AT) b"},
    {"platform": "x", "handle": "b3", "bio": "call +1 (555) 010-1234 now", "location": "555.010.9999"},
    {"platform": "x", "handle": "b4", "bio": "\u0665\u0665\u0665 \u0660\u0661\u0662 \u0663\u0664\u0665\u0666"},
    {"platform": "x", "handle": "b5", "bio": "since 2015 - 2016 (2017)", "bio_url": "MAILTO:a@b.co"},
    {"platform": "x", "handle": "b6", "bio": "@mention only", "bio_url": "tel:+15550100"},
    {"platform": "x", "handle": "b7", "bio": "chat) great] at]", "extra": {"note": "a@b.example.org"}},
    # the forms a reviewer tries: spelled out, spaced, full-width, en dashes, in links, ids, keys
    {"platform": "x", "handle": "b8", "bio": "jane at example dot com",
     "display_name": "jane.doe @ example.com"},
    {"platform": "x", "handle": "b9", "bio": "call 555\u2013013\u20139924",
     "location": "jane\uff20example\uff0ecom"},
    {"platform": "x", "handle": "b10", "bio_url": "https://x.example/?m=jane%40example.com",
     "avatar_url": "https://cdn.example/a.jpg?u=jane@example.com"},
    {"platform": "x", "handle": "b11", "bio_url": "https://wa.me/15550139924",
     "platform_user_id": "jane@example.com"},
    {"platform": "x", "handle": "b12", "extra": {"jane@example.com": "x", "ok": "call 5550139924"}},
    {"platform": "x", "handle": "b13", "bio": "since 1733097600, (at ) { at} dot",
     "avatar_url": "https://pbs.twimg.com/profile_images/1234567890/a.jpg"},
    # handles: case, @, URLs of every host form, non-ASCII, invalid, missing
    {"platform": "x", "handle": "  @MiXeD_1 "},
    {"platform": "tiktok", "handle": "https://www.tiktok.com/@Some.One?lang=en"},
    {"platform": "threads", "profile_url": "threads.com/@th.one/"},
    {"handle": "https://mobile.twitter.com/Someone"},
    {"platform": "x", "handle": "\uff48\uff41\uff4e\uff44\uff4c\uff45"},
    {"platform": "x", "handle": "https://www.tiktok.com/@mismatch"},
    {"platform": "tiktok", "handle": "ends.with.dot."},
    {"platform": "x", "handle": "way_too_long_for_x_handles"},
    {"platform": "x", "handle": ""},
    {"platform": "x", "handle": None, "username": "from_username"},
    {"platform": "x", "handle": 12345},
    # platforms: aliases, source_platform, unknown, shapes
    {"platform": " Twitter ", "handle": "p1"}, {"platform": "TT", "handle": "p2.x"},
    {"platform": "", "source_platform": "threads.net", "handle": "p3"},
    {"platform": "myspace", "handle": "p4"}, {"platform": True, "handle": "p5"},
    {"handle": "p6"}, {"username": "p7", "biography": "threads shape"},
    # counts, booleans, ids
    {"platform": "x", "handle": "c1", "followers": "12,345", "following": "1.2K",
     "posts": "007", "likes": " 12"},
    {"platform": "x", "handle": "c2", "followers": 12.0, "following": -1, "likes": 10**11},
    {"platform": "x", "handle": "c3", "followers": True, "is_verified": "Yes "},
    {"platform": "x", "handle": "c4", "is_verified": 1, "platform_user_id": 123456789012345},
    {"platform": "x", "handle": "c5", "is_verified": "no", "platform_user_id": 1.5},
    {"platform": "x", "handle": "c6", "platform_user_id": True, "followers": 10**19 + 1},
    # timestamps: ISO forms, offsets, fractions, epoch seconds/milliseconds, implausible
    {"platform": "x", "handle": "t1", "scraped_at": "2025-01-01",
     "account_created_at": "2020-02-29T23:59:59.5+05:30"},
    {"platform": "x", "handle": "t2", "scraped_at": "2025-01-01 10:00Z",
     "account_created_at": "2020-01-01T10"},
    {"platform": "x", "handle": "t3", "scraped_at": 1735689600123,
     "account_created_at": "1600000000"},
    {"platform": "x", "handle": "t4", "scraped_at": "2025-01-01T10:00:00.1234567Z"},
    {"platform": "x", "handle": "t5", "scraped_at": "1999-12-31T23:59:59Z"},
    {"platform": "x", "handle": "t6", "scraped_at": "2099-01-01T00:00:00Z"},
    {"platform": "x", "handle": "t7", "scraped_at": "2025-02-30T00:00:00Z"},
    {"platform": "x", "handle": "t8", "scraped_at": "20250101T100000"},
    {"platform": "x", "handle": "t9", "scraped_at": " 2025-01-01T00:00:00Z", "fetched_at": 1},
    {"platform": "x", "handle": "t10", "scraped_at": None, "fetched_at": "2025-03-01T00:00:00-08:00"},
    # extras: nested, repeated keys, more than 32, odd keys and values
    {"platform": "x", "handle": "e1", "extra": {"a": 1, "b": -2, "c": "t", "d": None, "e": True,
                                               "f": {"n": 1}, "g": [1], "": 3, "h": 1.5}},
    {"platform": "x", "handle": "e2", "extra": {f"k{i}": i for i in range(40)}},
    {"platform": "x", "handle": "e3", "extra": {" padded ": 1, "k" * 70: 2}},
    {"platform": "x", "handle": "e4", "extra": "not a dict"},
    # platform API shapes
    {"id": "9", "username": "XUser", "name": "X", "description": "d", "verified": True,
     "created_at": "2020-01-01T00:00:00.000Z", "public_metrics": {
         "followers_count": 10, "following_count": 2, "tweet_count": 3, "listed_count": "4"}},
    {"id": "9", "username": "xuser2", "public_metrics": "nope", "followers_count": 5},
    {"username": "xuser3", "description": "d", "entities": {"url": {"urls": [
        {"expanded_url": "https://example.com/x"}]}}},
    {"username": "xuser4", "description": "d", "public_metrics.followers_count": "7"},
    {"username": "tt.user", "display_name": "TT", "bio_description": "dance", "open_id": "",
     "id": "77", "follower_count": "1.2K", "likes_count": 3, "video_count": 9, "create_time": 1600000000},
    {"username": "th.user", "name": "TH", "biography": "b", "link": "https://l.example",
     "bio_url": "", "quotes_count": 2, "replies_count": None, "views_count": -1},
    {"data": [{"platform": "x", "handle": "env1"}, 5]},
    {"username": "tt.env", "data": {"display_name": "Env", "bio_description": "e"}},
    {"_not_object": 1, "platform": "x", "handle": "weird"},
]
RAW_LINES = [
    b'{"platform":"x","handle":"dup","bio":"first","handle":"dup2"}',
    b'{"platform":"x","handle":"big","followers":123456789012345678901234567890}',
    b'{"platform":"x","handle":"exp","followers":1e3}',
    b'{"platform":"x","handle":"nan","followers":NaN}',
    b'{"platform":"x","handle":"trunc"',
    b'{"platform":"x","handle":"bad\xff utf8"}',
    b'{"platform":"x","handle":"lone","bio":"\\ud800"}',
    b'{"platform":"x","handle":"pair","bio":"\\ud83d\\ude00 smile \\u0041"}',
    b'{"platform":"x","handle":"ok","bio":"\\"quoted\\" \\\\ \\/ \\u00e9"}\r',
    b'{"plat\\u0066orm":"x","handle":"escaped_key"}',
    b'[1, 2]', b'"just a string"', b'   ', b'', b'{}', b'{"platform":"x","handle":"t"} x',
    b'{"platform":"x","handle":"deep","extra":' + b'[' * 100 + b']' * 100 + b'}',
]


def _lines() -> bytes:
    rows = [orjson.dumps(row) for row in AWKWARD] + RAW_LINES
    return b"\xef\xbb\xbf" + b"\n".join(rows) + b"\n"


def _run(tmp: Path, block: bytes, native: bool, hint: str | None = None
         ) -> tuple[BlockResult, bytes]:
    part = tmp / f"part-{native}-{hint}"
    result = process_block(1, block, MAX_ROW, hint, WHEN, "inbox/a.jsonl", 7, str(part),
                           native=native)
    normalized = part.read_bytes() if part.exists() else b""
    return result, normalized


def _same(tmp: Path, block: bytes, hint: str | None = None) -> BlockResult:
    assert load() is not None
    native, native_lines = _run(tmp, block, True, hint)
    python, python_lines = _run(tmp, block, False, hint)
    assert native_lines.splitlines() == python_lines.splitlines()
    assert native.rejects.splitlines() == python.rejects.splitlines()
    assert (native.read, native.valid, native.rejected, native.reasons) == (
        python.read, python.valid, python.rejected, python.reasons)
    assert (native.chunk is None) == (python.chunk is None)
    if native.chunk is not None and python.chunk is not None:
        assert native.chunk.handles.split("\n") == python.chunk.handles.split("\n")
        assert native.chunk.platforms == python.chunk.platforms
        assert list(native.chunk.ends) == list(python.chunk.ends)
        assert native.chunk.rows == python.chunk.rows
    return native


def test_the_extension_is_built() -> None:
    assert load() is not None, "sxp.native._fastrows is not built: `make` needs a C compiler"


@pytest.mark.parametrize("hint", [None, "x", "tiktok", "threads"])
def test_awkward_rows_match_the_python_path(tmp_path: Path, hint: str | None) -> None:
    result = _same(tmp_path, _lines(), hint)
    assert result.valid > 20 and result.rejected > 10


def test_generated_profiles_match_the_python_path(tmp_path: Path) -> None:
    rows = [orjson.dumps(row) for row in generate_profiles(4000, seed=11)]
    result = _same(tmp_path, b"\n".join(rows))  # the last line has no line end
    assert result.read == 4000 and result.chunk is not None


_ALPHABET = ("abcXYZ019 _.-@|()[]+:/\t\n\u00e9\u00a0\u200b\u202e\u0301\u0663\u2028\u3000"
             "\u212a\u0130\U0001F600\u4e2d\ufeff\x00\x1f\x7f\"\\")


def _mutate(rng: random.Random, row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    for key in rng.sample(sorted(row), k=min(3, len(row))):
        roll = rng.random()
        if roll < 0.6:
            row[key] = "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 24)))
        elif roll < 0.8:
            row[key] = rng.choice([None, True, 0, -3, 7, 2**40, "", "12", "1.5K",
                                   "2024-05-06T07:08:09Z", 1735689600, {"a": 1}, [1]])
        else:
            del row[key]
    return row


def test_seeded_fuzz_matches_the_python_path(tmp_path: Path) -> None:
    rng = random.Random(20261201)
    rows = [orjson.dumps(_mutate(rng, row)) for row in generate_profiles(3000, seed=3)]
    _same(tmp_path, b"\n".join(rows) + b"\n")


def test_inert_characters_are_left_alone_by_nfc() -> None:
    table = unicode_flags()
    inert = [chr(cp) for cp in range(len(table)) if table[cp] & INERT
             and not 0xD800 <= cp <= 0xDFFF]
    assert all(unicodedata.normalize("NFC", ch) == ch for ch in inert)
    rng = random.Random(5)
    for _ in range(2000):
        text = "".join(rng.choice(inert) for _ in range(8))
        assert unicodedata.is_normalized("NFC", text)


# rows the C code must handle itself (not hand to the Python path): if it stopped handling
# them, the differential tests above would still pass on the Python path alone
NATIVE_HANDLES = ("a3", "a5", "b1", "b2", "b3", "b4", "b7", "b13", "  @MiXeD_1 ",
                  "https://www.tiktok.com/@Some.One?lang=en", "https://mobile.twitter.com/Someone",
                  "p1", "p2.x", "c4", "t1", "t2", "t3", "t10")


def _handle_of(row: dict[str, Any]) -> Any:
    return row.get("handle", row.get("username", row.get("profile_url")))


def test_the_c_code_handles_the_rows_it_is_meant_to(tmp_path: Path) -> None:
    result, _lines_out = _run(tmp_path, _lines(), True)
    fallback = set(result.fallback_lines)
    native_lines = {line for line in range(1, len(AWKWARD) + 1) if line not in fallback}
    handled = {_handle_of(AWKWARD[line - 1]) for line in native_lines}
    assert set(NATIVE_HANDLES) <= handled, sorted(set(NATIVE_HANDLES) - handled)
    assert result.native_rows == result.read - len(fallback)
    python, _ = _run(tmp_path, _lines(), False)
    assert python.native_rows == 0 and python.fallback_lines == []


def test_the_c_code_handles_nearly_every_generated_row(tmp_path: Path) -> None:
    rows = [orjson.dumps(row) for row in generate_profiles(4000, seed=11)]
    result, _ = _run(tmp_path, b"\n".join(rows), True)
    assert result.native_rows >= 0.95 * result.read, (result.native_rows, result.read)


def test_the_native_staged_line_and_copy_columns_follow_the_profile_model(
        tmp_path: Path) -> None:
    from sxp.adapters.postgres.tier1_rows import ROW_COLUMNS
    from sxp.domain.profiles import PROFILE_FIELDS

    native = load()
    assert native is not None and native.ROW_COLUMNS == ROW_COLUMNS
    _result, lines = _run(tmp_path, orjson.dumps(AWKWARD[2]) + b"\n", True)
    assert tuple(orjson.loads(lines.splitlines()[0])) == PROFILE_FIELDS
