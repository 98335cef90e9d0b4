"""The parser-process path gives exactly what the in-process path gives: rows, rejects, counts."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path
from typing import Any

import orjson
import pytest

from sxp.adapters.postgres.tier1_rows import ROW_COLUMNS, ChunkEncoder, StagedChunk
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
SOURCE_FILE_ID = 7


class Chunks:
    def __init__(self) -> None:
        self.chunks: list[StagedChunk] = []

    def submit(self, chunk: StagedChunk) -> None:
        assert chunk.count == len(_keys(chunk)) == len(_rows(chunk)) > 0
        self.chunks.append(chunk)


def _run(tmp: Path, data: bytes, parallel: bool) -> dict[str, Any]:
    tmp.mkdir()
    staged = Chunks()
    sink = RowSink(tmp / "n.jsonl", tmp / "r.jsonl", "inbox/a.jsonl")
    with open_source(io.BytesIO(data), "inbox/a.jsonl", 50_000_000) as reader, sink:
        assert sniff(reader, "inbox/a.jsonl", None) == "jsonl"
        if parallel:
            ingest_parallel.run_parallel(reader, MAX_ROW, None, WHEN, SOURCE_FILE_ID, staged,
                                         sink, workers=2)
        else:
            writer = ChunkWriter(staged, SOURCE_FILE_ID, 1 << 30)
            process_records(read_records(reader, "jsonl", MAX_ROW), None, WHEN, writer, sink)
            writer.flush()
    return {"counts": (sink.read, sink.valid, sink.rejected, sink.reasons),
            "normalized": (tmp / "n.jsonl").read_bytes().splitlines(),
            "rejects": (tmp / "r.jsonl").read_bytes().splitlines(),
            "staged": _winners(staged.chunks)}


def _keys(chunk: StagedChunk) -> list[tuple[str, str]]:
    return list(zip(chunk.platforms.split("\n"), chunk.handles.split("\n"), strict=True))


def _rows(chunk: StagedChunk) -> list[bytes]:
    starts = [0, *chunk.ends[:-1]]
    return [chunk.rows[start:end] for start, end in zip(starts, chunk.ends, strict=True)]


def _fields(row: bytes) -> list[bytes | None]:
    """The field values of one binary COPY tuple (int16 count, then int32 length + bytes)."""
    count, at, out = int.from_bytes(row[:2], "big"), 2, []
    for _ in range(count):
        size = int.from_bytes(row[at:at + 4], "big", signed=True)
        at += 4
        out.append(None if size < 0 else row[at:at + size])
        at += max(size, 0)
    assert at == len(row) and count == len(ROW_COLUMNS)
    return out


SCRAPED_AT = ROW_COLUMNS.index("scraped_at")


def _winners(chunks: list[StagedChunk]) -> dict[tuple[str, str], bytes]:
    """What Tier 1 keeps per key: chunks in order, a later row wins unless its scrape is older
    (duplicates in different chunks are left to the merge)."""
    best: dict[tuple[str, str], bytes] = {}
    for chunk in chunks:
        for key, row in zip(_keys(chunk), _rows(chunk), strict=True):
            fields = _fields(row)
            assert (fields[0], fields[1]) == (key[0].encode(), key[1].encode())
            scraped = fields[SCRAPED_AT]
            assert scraped is not None  # microseconds since 2000: big-endian bytes sort as time
            if key not in best or scraped >= _fields(best[key])[SCRAPED_AT]:  # type: ignore[operator]
                best[key] = row
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
    part = tmp_path / "part"
    result = ingest_parallel.process_block(1, jl(*rows), MAX_ROW, None, WHEN, "k",
                                           SOURCE_FILE_ID, str(part))
    assert result.normalized_path == str(part) and len(part.read_bytes().splitlines()) == 3
    assert (result.read, result.valid) == (3, 3)
    assert result.chunk is not None and _keys(result.chunk) == [("x", "x_user")]
    [row] = _rows(result.chunk)
    assert _fields(row)[ROW_COLUMNS.index("display_name")] == b"new"
    assert row == ChunkEncoder(SOURCE_FILE_ID).encode([_profile(rows[1])]).rows


def _profile(row: dict[str, Any]) -> dict[str, Any]:
    from sxp.adapters.sources.shapes import map_row
    from sxp.domain.profile_builder import build_profile

    return build_profile(map_row(row, "x"), "x", WHEN)


@pytest.mark.parametrize("kernel_copy", [True, False], ids=["copy_file_range", "user_space"])
def test_sink_appends_part_files_in_order(tmp_path: Path, monkeypatch: Any,
                                          kernel_copy: bool) -> None:
    import sxp.pipeline.ingest_rows as ingest_rows

    if not kernel_copy:
        def refuse(*_args: Any) -> int:
            raise OSError(18, "Invalid cross-device link")
        monkeypatch.setattr(ingest_rows.os, "copy_file_range", refuse)
    parts = []
    for index, text in enumerate([b'{"a":1}\n', b'{"b":2}\n{"c":3}\n']):
        part = tmp_path / f"part.{index}"
        part.write_bytes(text)
        parts.append(part)
    sink = RowSink(tmp_path / "n.jsonl", tmp_path / "r.jsonl", "inbox/a.jsonl")
    with sink:
        sink.accept(b'{"first":0}\n')
        sink.accept_file(parts[0], 1)
        sink.accept_file(parts[1], 2)
        sink.accept(b'{"last":4}\n')
    assert (tmp_path / "n.jsonl").read_bytes() == (
        b'{"first":0}\n{"a":1}\n{"b":2}\n{"c":3}\n{"last":4}\n')
    assert sink.valid == 5 and not any(part.exists() for part in parts)
