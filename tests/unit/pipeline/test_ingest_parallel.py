"""The parser-process path gives exactly what the in-process path gives: rows, rejects, counts."""

from __future__ import annotations

import gzip
import importlib.util
import io
from pathlib import Path
from typing import Any

import orjson
import pytest

from sxp.adapters.postgres.profiles import stage_line
from sxp.adapters.sources.readers import read_records
from sxp.adapters.sources.streams import open_source, sniff
from sxp.pipeline import ingest_parallel
from sxp.pipeline.ingest_rows import ChunkWriter, RowSink, process_records


def _corpus_module() -> Any:
    path = Path(__file__).parents[1] / "adapters" / "sources" / "test_source_corpus.py"
    spec = importlib.util.spec_from_file_location("sxp_test_source_corpus", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_CORPUS = _corpus_module()
CORPUS, TH, TT, WHEN, X, jl = (_CORPUS.CORPUS, _CORPUS.TH, _CORPUS.TT, _CORPUS.WHEN, _CORPUS.X,
                               _CORPUS.jl)

MAX_ROW = 1_000_000


class Blocks:
    def __init__(self) -> None:
        self.blocks: list[bytes] = []

    def submit(self, chunk: int, block: bytes) -> None:
        assert chunk == len(self.blocks)
        self.blocks.append(block)


def _run(tmp: Path, data: bytes, parallel: bool) -> dict[str, Any]:
    tmp.mkdir()
    staged = Blocks()
    sink = RowSink(tmp / "n.jsonl.gz", tmp / "r.jsonl", "inbox/a.jsonl")
    with open_source(io.BytesIO(data), "inbox/a.jsonl", 50_000_000) as reader, sink:
        assert sniff(reader, "inbox/a.jsonl", None) == "jsonl"
        if parallel:
            ingest_parallel.run_parallel(reader, MAX_ROW, None, WHEN, staged, sink, workers=2)
        else:
            writer = ChunkWriter(staged, 1 << 30)
            process_records(read_records(reader, "jsonl", MAX_ROW), None, WHEN, writer, sink)
            writer.flush()
    return {"counts": (sink.read, sink.valid, sink.rejected, sink.reasons),
            "normalized": gzip.decompress((tmp / "n.jsonl.gz").read_bytes()).splitlines(),
            "rejects": (tmp / "r.jsonl").read_bytes().splitlines(),
            "staged": _winners(staged.blocks)}


def _winners(blocks: list[bytes]) -> dict[bytes, bytes]:
    """What the merge keeps per key: blocks in order, a later row wins unless its scrape is older
    (duplicates in different blocks are left to the merge)."""
    best: dict[bytes, bytes] = {}
    for block in blocks:
        for line in block.splitlines():
            fields = line.split(b"\x02")
            key = fields[0] + b"/" + fields[1]
            if key not in best or fields[14] >= best[key].split(b"\x02")[14]:
                best[key] = line
    return best


JSONL_CASES = [c for c in CORPUS if c[1] == "a.jsonl" and not isinstance(c[3], str)]


@pytest.mark.parametrize("case", JSONL_CASES, ids=[c[0] for c in JSONL_CASES])
def test_parallel_path_equals_in_process_path(tmp_path: Path, monkeypatch: Any,
                                              case: tuple[str, str, bytes, Any]) -> None:
    monkeypatch.setattr(ingest_parallel, "BLOCK_BYTES", 64)  # lines cross block ends
    data = b"\xef\xbb\xbf" + case[2] + b"\n  \n" + jl(X, TT, TH) + b'{"username": "no_nl"}'
    assert _run(tmp_path / "p", data, True) == _run(tmp_path / "s", data, False)


def test_over_long_line_crossing_blocks_is_rejected_once(tmp_path: Path, monkeypatch: Any
                                                         ) -> None:
    monkeypatch.setattr(ingest_parallel, "BLOCK_BYTES", 1000)
    big = b'{"description": "' + b"y" * (MAX_ROW + 5000) + b'"}\n'
    data = jl(X) + big + jl(TT) + big + jl(TH)
    parallel = _run(tmp_path / "p", data, True)
    assert parallel == _run(tmp_path / "s", data, False)
    assert parallel["counts"][:3] == (5, 3, 2)
    assert [orjson.loads(r)["line"] for r in parallel["rejects"]] == [2, 4]


def test_one_block_keeps_the_newest_scrape_per_handle(tmp_path: Path) -> None:
    rows = [{**X, "name": "old", "scraped_at": "2024-01-01T00:00:00Z"},
            {**X, "username": "X_USER", "name": "new", "scraped_at": "2024-02-01T00:00:00Z"},
            {**X, "name": "older", "scraped_at": "2023-01-01T00:00:00Z"}]
    result = ingest_parallel.process_block(1, jl(*rows), MAX_ROW, None, WHEN, "k")
    assert (result.read, result.valid) == (3, 3)
    [line] = result.copy_block.splitlines()
    assert b"\x01new\x01" in line
    assert line + b"\n" == stage_line(_profile(rows[1]))


def _profile(row: dict[str, Any]) -> dict[str, Any]:
    from sxp.adapters.sources.shapes import map_row
    from sxp.domain.profiles import build_profile

    return build_profile(map_row(row, "x"), "x", WHEN)


def test_copy_line_doubles_a_quote_character_inside_text() -> None:
    profile = _profile({**X, "id": "7\x017"})
    plain = _profile(X)
    assert profile["platform_user_id"] == "7\x017"
    line = stage_line(profile)
    assert b"\x017\x01\x017\x01" in line
    fields, plain_fields = line.split(b"\x02"), stage_line(plain).split(b"\x02")
    assert fields[2] == b"\x017\x01\x017\x01" and plain_fields[2] == b"\x011\x01"
    assert fields[3:-1] == plain_fields[3:-1] and len(fields) == 18
