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
    sink = RowSink(tmp / "n", tmp / "r.jsonl", "inbox/a.jsonl")
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
            "normalized": b"".join(sink.part_path(i).read_bytes()
                                   for i in range(sink.parts)).splitlines(),
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
CONTENT_HASH = ROW_COLUMNS.index("content_hash")


def _winners(chunks: list[StagedChunk]) -> dict[tuple[str, str], bytes]:
    """What Tier 1 keeps per key: the newest scrape, then the larger content hash (duplicates
    in different chunks are left to the merge)."""
    best: dict[tuple[str, str], bytes] = {}
    for chunk in chunks:
        for key, row in zip(_keys(chunk), _rows(chunk), strict=True):
            fields = _fields(row)
            assert (fields[0], fields[1]) == (key[0].encode(), key[1].encode())
            scraped = fields[SCRAPED_AT]
            assert scraped is not None  # microseconds since 2000: big-endian bytes sort as time
            rank = (scraped, fields[CONTENT_HASH])
            kept = _fields(best[key]) if key in best else None
            if kept is None or rank >= (kept[SCRAPED_AT], kept[CONTENT_HASH]):  # type: ignore[operator]
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


def test_sink_publishes_block_files_and_its_own_lines_as_parts_in_order(tmp_path: Path) -> None:
    blocks = []
    for index, text in enumerate([b'{"a":1}\n', b'{"b":2}\n{"c":3}\n']):
        block = tmp_path / f"block.{index}"
        block.write_bytes(text)
        blocks.append(block)
    published: list[tuple[int, bytes]] = []
    sink = RowSink(tmp_path / "parts", tmp_path / "r.jsonl", "inbox/a.jsonl",
                   lambda index, part: published.append((index, part.read_bytes())),
                   part_bytes=10_000)
    lines = [b'{"last":%04d}\n' % n for n in range(1100)]  # 14 bytes each
    with sink:
        sink.accept(b'{"first":0}\n')
        sink.accept_file(blocks[0], 1)  # ends the part being written: the order is kept
        sink.accept_file(blocks[1], 2)
        for line in lines:  # written 1,024 lines at a time: a new part once one passes 10 kB
            sink.accept(line)
    assert published == [(0, b'{"first":0}\n'), (1, b'{"a":1}\n'), (2, b'{"b":2}\n{"c":3}\n'),
                         (3, b"".join(lines[:1024])), (4, b"".join(lines[1024:]))]
    assert sink.parts == 5 and sink.valid == 1104 and not any(b.exists() for b in blocks)


def test_a_sink_without_valid_rows_publishes_one_empty_part(tmp_path: Path) -> None:
    published: list[tuple[int, bytes]] = []
    with RowSink(tmp_path / "parts", tmp_path / "r.jsonl", "k",
                 lambda index, part: published.append((index, part.read_bytes()))) as sink:
        sink.reject(1, "unparsable_row", b"{")
    assert published == [(0, b"")]


def test_a_failing_sink_publishes_nothing_more(tmp_path: Path) -> None:
    published: list[int] = []
    with pytest.raises(RuntimeError), RowSink(tmp_path / "parts", tmp_path / "r.jsonl", "k",
                                              lambda index, _part: published.append(index)) as sink:
        sink.accept(b'{"a":1}\n')
        raise RuntimeError("reader failed")
    assert published == []
