"""`sxp import`: local files into the inbox, with platform/format overrides carried in the key."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from sxp.adapters.postgres import queue
from sxp.bootstrap import App
from sxp.errors import InputError
from sxp.pipeline.imports import import_paths, inbox_key
from sxp.pipeline.ingest import run_job
from sxp.pipeline.scan import hints_from_key, scan


def test_inbox_key_and_hints_round_trip() -> None:
    day = datetime(2025, 3, 4, tzinfo=UTC)
    key = inbox_key("inbox/", "f.txt", "tiktok", "csv", day)
    assert key == "inbox/platform=tiktok/format=csv/2025-03-04/f.txt"
    assert hints_from_key(key) == ("tiktok", "csv")
    assert inbox_key("inbox/", "f.jsonl", day=day) == "inbox/2025-03-04/f.jsonl"
    assert hints_from_key("inbox/2025-03-04/platform=x.jsonl") == (None, None)
    with pytest.raises(InputError):
        inbox_key("inbox/", "f", "myspace")


def test_import_with_overrides_lands_rows_without_platform_fields(app: App,
                                                                   tmp_path: Path) -> None:
    # bare handles in a file with no extension: only the overrides say what it is
    (tmp_path / "handles.txt").write_text("handle,followers\r\n@Some.Body,\"1,2K\"\r\n")
    (tmp_path / "plain.jsonl").write_text('{"platform": "x", "handle": "plain_one"}\n')
    receipts = import_paths(app, [tmp_path / "handles.txt"], platform="tiktok", fmt="csv")
    receipts += import_paths(app, [tmp_path / "plain.jsonl"])
    assert receipts[0].key.startswith("inbox/platform=tiktok/format=csv/")
    assert receipts[0].key.endswith("-handles.txt") and not receipts[1].duplicate
    again = import_paths(app, [tmp_path / "plain.jsonl"])  # the same content: not stored twice
    assert again[0].duplicate and again[0].key == receipts[1].key
    (tmp_path / "plain.jsonl").write_text('{"platform": "x", "handle": "plain_two"}\n')
    changed = import_paths(app, [tmp_path / "plain.jsonl"])[0]  # same name: a key of its own
    assert not changed.duplicate and changed.key != receipts[1].key
    assert app.store.get_bytes(receipts[1].key) != app.store.get_bytes(changed.key)
    (tmp_path / "plain.jsonl").write_text('{"platform": "x", "handle": "plain_one"}\n')
    assert scan(app).registered == 3
    with app.connect() as conn:
        while (job := queue.claim(conn, "t", kinds=["ingest"])) is not None:
            run_job(app, job)
        rows = conn.execute("SELECT platform, handle, followers FROM social.raw_social_profiles"
                            " ORDER BY handle").fetchall()
    assert rows == [{"platform": "x", "handle": "plain_one", "followers": None},
                    {"platform": "x", "handle": "plain_two", "followers": None},
                    {"platform": "tiktok", "handle": "some.body", "followers": 1200}]
    with pytest.raises(InputError):
        import_paths(app, [tmp_path / "missing.csv"])
