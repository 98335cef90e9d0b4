"""The local-folder store's ETags: MD5 of the content, as in S3, remembered per file version."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import orjson

from sxp.adapters.objectstore.localdir import ETAG_INDEX, KEPT_ETAG_BYTES, LocalDirObjectStore


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def test_written_objects_get_the_md5_of_their_content(tmp_path: Path) -> None:
    store = LocalDirObjectStore(tmp_path, "b")
    source = tmp_path / "src.jsonl"
    source.write_bytes(b'{"a": 1}\n' * 1000)
    assert store.put_file("inbox/f.jsonl", source) == _md5(source.read_bytes())
    assert store.put_bytes("inbox/g.jsonl", b"x") == _md5(b"x")
    assert [(i.key, i.etag) for i in store.list("inbox/")] == [
        ("inbox/f.jsonl", _md5(source.read_bytes())), ("inbox/g.jsonl", _md5(b"x"))]
    assert store.put_bytes("inbox/g.jsonl", b"x") == _md5(b"x")  # same content, same ETag


def test_files_changed_by_hand_get_a_new_etag(tmp_path: Path) -> None:
    store = LocalDirObjectStore(tmp_path, "b")
    store.put_bytes("inbox/f.csv", b"username\none\n")
    path = tmp_path / "b" / "inbox" / "f.csv"
    path.write_bytes(b"username\ntwo\n")  # same size, new content, written around the store
    stamp = path.stat().st_mtime_ns + 1_000_000
    os.utime(path, ns=(stamp, stamp))
    info = store.head("inbox/f.csv")
    assert info is not None and info.etag == _md5(b"username\ntwo\n")
    dropped = tmp_path / "b" / "inbox" / "new.csv"
    dropped.write_bytes(b"username\nthree\n")
    assert LocalDirObjectStore(tmp_path, "b").head("inbox/new.csv").etag == (  # type: ignore[union-attr]
        _md5(b"username\nthree\n"))


def test_a_big_objects_etag_outlives_the_store_and_follows_the_file(tmp_path: Path) -> None:
    """The next process (a new store on the same folder) gets a big object's ETag from the
    bucket's index, not by reading it again; the index never lists itself, and a change to the
    file (any write moves its change time) makes it hashed again."""
    big = b"x" * KEPT_ETAG_BYTES
    first = LocalDirObjectStore(tmp_path, "b")
    etag = first.put_bytes("inbox/big.jsonl", big)
    first.put_bytes("inbox/small.jsonl", b"y")
    kept = orjson.loads((tmp_path / "b" / ETAG_INDEX).read_bytes())
    assert list(kept) == ["inbox/big.jsonl"] and kept["inbox/big.jsonl"][1] == etag

    again = LocalDirObjectStore(tmp_path, "b")
    assert [(i.key, i.etag) for i in again.list("")] == [
        ("inbox/big.jsonl", _md5(big)), ("inbox/small.jsonl", _md5(b"y"))]
    # what the next store gives comes from the index, not from reading the file: an entry
    # for the same file version under another ETag is what it answers
    kept["inbox/big.jsonl"][1] = "f" * 32
    (tmp_path / "b" / ETAG_INDEX).write_bytes(orjson.dumps(kept))
    info = LocalDirObjectStore(tmp_path, "b").head("inbox/big.jsonl")
    assert info is not None and info.etag == "f" * 32
    with (tmp_path / "b" / "inbox" / "big.jsonl").open("ab") as out:
        out.write(b"z")
    info = LocalDirObjectStore(tmp_path, "b").head("inbox/big.jsonl")
    assert info is not None and info.etag == _md5(big + b"z")
    (tmp_path / "b" / ETAG_INDEX).write_bytes(b"not json")  # unreadable: hashed again
    info = LocalDirObjectStore(tmp_path, "b").head("inbox/big.jsonl")
    assert info is not None and info.etag == _md5(big + b"z")
