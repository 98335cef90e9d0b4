"""A staged chunk splits into the rows of some keys and a chunk of the others."""

from __future__ import annotations

from array import array

from sxp.adapters.postgres.tier1_rows import StagedChunk

CHUNK = StagedChunk(b"aaBBBcDDDD", array("q", [2, 5, 6, 10]), "x\ntiktok\nx\nthreads",
                    "a\nb\nc\nd")


def test_rows_at_positions_become_a_chunk_of_their_own() -> None:
    others, picked = CHUNK.split([1, 3])
    assert others == b"aac"
    assert picked == StagedChunk(b"BBBDDDD", array("q", [3, 7]), "tiktok\nthreads", "b\nd")


def test_the_first_row_all_rows_and_no_rows() -> None:
    others, picked = CHUNK.split([0])
    assert others == b"BBBcDDDD" and picked == StagedChunk(b"aa", array("q", [2]), "x", "a")
    assert CHUNK.split([0, 1, 2, 3]) == (b"", CHUNK)
    assert CHUNK.split([]) == (CHUNK.rows, None)


def test_runs_of_neighbouring_positions_and_keys_at_positions() -> None:
    others, picked = CHUNK.split([0, 1, 3])
    assert others == b"c"
    assert picked == StagedChunk(b"aaBBBDDDD", array("q", [2, 5, 9]), "x\ntiktok\nthreads",
                                 "a\nb\nd")
    assert CHUNK.keys_at([1, 3]) == {("tiktok", "b"), ("threads", "d")}
    assert CHUNK.keys_at([]) == set()
