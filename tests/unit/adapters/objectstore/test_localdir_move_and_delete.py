"""The local-folder store moves finished files into place and deletes whole folders."""

from __future__ import annotations

import errno
import hashlib
from pathlib import Path
from typing import Any

import pytest

from sxp.adapters.objectstore.localdir import LocalDirObjectStore
from sxp.errors import StoreError


def test_a_moved_file_is_renamed_into_place_and_hashed_when_listed(tmp_path: Path) -> None:
    store = LocalDirObjectStore(tmp_path / "root", "b")
    store.put_bytes("stage/r/normalized/part-00000.jsonl", b"old")
    assert store.head("stage/r/normalized/part-00000.jsonl").etag == (  # type: ignore[union-attr]
        hashlib.md5(b"old", usedforsecurity=False).hexdigest())
    part = tmp_path / "part"
    part.write_bytes(b'{"a": 1}\n')
    inode = part.stat().st_ino
    store.move_file("stage/r/normalized/part-00000.jsonl", part)
    target = tmp_path / "root" / "b" / "stage" / "r" / "normalized" / "part-00000.jsonl"
    assert not part.exists() and target.stat().st_ino == inode  # moved, not copied
    [info] = store.list("stage/r/normalized/")
    assert (info.key, info.etag) == ("stage/r/normalized/part-00000.jsonl",
                                     hashlib.md5(b'{"a": 1}\n', usedforsecurity=False).hexdigest())


def test_a_file_on_another_file_system_is_copied_then_removed(tmp_path: Path,
                                                              monkeypatch: Any) -> None:
    import sxp.adapters.objectstore.localdir as localdir

    part = tmp_path / "part"
    rename = localdir.os.replace

    def cross_device(src: Any, dst: Any) -> None:
        if Path(src) == part:  # the store's own temp file, in the bucket, still renames
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        rename(src, dst)

    monkeypatch.setattr(localdir.os, "replace", cross_device)
    store = LocalDirObjectStore(tmp_path / "root", "b")
    part.write_bytes(b"x\n")
    store.move_file("k/part-00000.jsonl", part)
    assert store.get_bytes("k/part-00000.jsonl") == b"x\n" and not part.exists()


def test_delete_prefix_removes_one_folder_only(tmp_path: Path) -> None:
    store = LocalDirObjectStore(tmp_path, "b")
    for key in ("file-1/normalized/part-00000.jsonl", "file-1/normalized/part-00001.jsonl",
                "file-1/rejects/part-00000.jsonl", "file-10/normalized/part-00000.jsonl"):
        store.put_bytes(f"stage/{key}", b"x")
    store.delete_prefix("stage/file-1/normalized/")
    store.delete_prefix("stage/file-2/normalized/")  # nothing there: no error
    assert [i.key for i in store.list("stage/")] == [
        "stage/file-1/rejects/part-00000.jsonl", "stage/file-10/normalized/part-00000.jsonl"]
    for prefix in ("", "/", "stage/file-1"):
        with pytest.raises(StoreError):
            store.delete_prefix(prefix)
