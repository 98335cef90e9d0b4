"""The records file is gzip in members compressed on threads: it reads back as the records'
lines in order with any gzip reader (here Python's and the `gzip` tool), and the same records
give the same bytes."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from sxp.adapters import bundle_files
from sxp.adapters.bundle_files import MEMBER_RECORDS, record_lines, write_bundle
from sxp.adapters.objectstore.localdir import LocalDirObjectStore
from sxp.domain.bundle import LeadCardRecord, RecordLines

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _record(card_id: int) -> LeadCardRecord:
    return LeadCardRecord.model_validate({
        "card_id": card_id, "platform": "threads", "handle": f"maker_{card_id}",
        "profile": {"display_name": "Sample Maker", "followers": card_id, "scraped_at": NOW},
        "scores": {"readiness": "ready", "readiness_score": 0.8, "base_confidence": 0.6},
        "labels": {"execution_label": "enrich_now", "ruleset_version": "v1",
                   "rules_fired": ["r1"]},
        "enrichment": {"status": "not_found"},
        "provenance": {"profile_id": card_id, "profile_hash": "h", "card_created_at": NOW}})


def _bundle(tmp_path: Path, name: str, count: int, block: int | None = None) -> bytes:
    """The records file of `count` records, handed over in one block or in blocks of `block`
    (as the export's workers hand them)."""
    store = LocalDirObjectStore(tmp_path / name, "bucket")
    records = [_record(i) for i in range(1, count + 1)]
    blocks = record_lines(records) if block is None else [
        record_lines(records[i:i + block])[0] for i in range(0, count, block)]
    written = write_bundle(store, blocks, batch_id="xb-1", env="test", created_at=NOW,
                           folder="out/")
    assert written.manifest.record_count == count
    assert written.manifest.counts_by_execution_label == ({"enrich_now": count} if count else {})
    return store.get_bytes(written.records_key)


@pytest.mark.parametrize("count", [0, 1, MEMBER_RECORDS, 3 * MEMBER_RECORDS + 17])
def test_members_read_back_as_the_records_in_order(tmp_path: Path, count: int) -> None:
    body = _bundle(tmp_path, "a", count)
    lines = gzip.decompress(body).splitlines()
    assert [orjson.loads(line)["card_id"] for line in lines] == list(range(1, count + 1))
    assert _bundle(tmp_path, "b", count) == body  # deterministic
    tool = shutil.which("gzip")
    assert tool is not None
    assert subprocess.run([tool, "-dc"], input=body, capture_output=True,
                          check=True).stdout == gzip.decompress(body)


def test_a_large_file_is_several_members(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    monkeypatch.setattr(bundle_files, "MEMBER_RECORDS", 10)
    body = _bundle(tmp_path, "c", 35)
    assert body.count(b"\x1f\x8b\x08") >= 4  # a header per member
    assert len(gzip.decompress(body).splitlines()) == 35


@pytest.mark.parametrize("block", [1, 7, MEMBER_RECORDS - 1, MEMBER_RECORDS + 3])
def test_blocks_of_any_size_give_the_same_bytes(tmp_path: Path, block: int) -> None:
    """Members are MEMBER_RECORDS lines however the lines arrive: the bytes do not depend on
    how many processes made them."""
    count = 2 * MEMBER_RECORDS + 5
    assert _bundle(tmp_path, f"blocks-{block}", count, block) == _bundle(tmp_path, "one", count)


def test_empty_blocks_change_nothing(tmp_path: Path) -> None:
    store = LocalDirObjectStore(tmp_path / "e", "bucket")
    blocks = [RecordLines(), *record_lines([_record(1)]), RecordLines()]
    written = write_bundle(store, blocks, batch_id="xb-1", env="test", created_at=NOW,
                           folder="out/")
    assert written.manifest.record_count == 1
    assert store.get_bytes(written.records_key) == _bundle(tmp_path, "single", 1)
