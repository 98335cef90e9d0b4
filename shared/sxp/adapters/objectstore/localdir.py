"""Object store in a local folder: the embedded stand-in for Spaces, same port."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import orjson

from sxp.adapters.objectstore.base import ExpirationRule, ObjectInfo, check_folder
from sxp.errors import StoreError

KEPT_ETAG_BYTES = 8 << 20  # hashing less than this again costs a few milliseconds
ETAG_INDEX = ".sxp-etags.json"
FileStamp = tuple[int, int, int, int]  # inode, size, mtime and ctime (ns): a change moves one


class LocalDirObjectStore:
    """Objects are files under root/bucket/key; the ETag is the MD5 of the content, as in S3.

    Objects written through the store are hashed as they are written; files dropped into the
    folder by hand are hashed when first listed. Either way the ETag is remembered per file
    (its inode, size, modification and change times), so listing a big inbox again does not
    read it again; the ETags of big objects (`KEPT_ETAG_BYTES` and more) are also kept in the
    bucket's `.sxp-etags.json`, so the next process (the next `sxp run`) does not read them
    again either.
    """

    def __init__(self, root: Path, bucket: str) -> None:
        self.bucket = bucket
        self._base = (root / bucket).resolve()
        self._base.mkdir(parents=True, exist_ok=True)
        self._etags: dict[Path, tuple[FileStamp, str]] = {}
        self._kept: dict[str, tuple[FileStamp, str]] | None = None  # `ETAG_INDEX`, read lazily

    def _path(self, key: str) -> Path:
        path = (self._base / key).resolve()
        if self._base not in path.parents:
            raise StoreError(f"key escapes the bucket: {key}", "bad_key")
        return path

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        found = []
        folder = prefix.rpartition("/")[0]  # only the folder holding the prefix is walked
        start = self._path(folder) if folder else self._base
        for dirpath, _dirs, files in os.walk(start):
            for name in files:
                if name.startswith(".sxp-tmp") or name == ETAG_INDEX:
                    continue
                key = Path(dirpath, name).relative_to(self._base).as_posix()
                if key.startswith(prefix):
                    found.append(key)
        for key in sorted(found):
            info = self.head(key)
            if info is not None:
                yield info

    def head(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        if not path.is_file():
            return None
        stat = path.stat()
        stamp = _stamp(stat)
        modified = datetime.fromtimestamp(stat.st_mtime, UTC)
        known = self._etags.get(path) or self._kept_etags().get(key)
        if known is not None and known[0] == stamp:
            return ObjectInfo(key, known[1], stat.st_size, modified)
        digest = hashlib.md5(usedforsecurity=False)
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        return ObjectInfo(key, self._remember(path, stat, digest.hexdigest()), stat.st_size,
                          modified)

    def _remember(self, path: Path, stat: os.stat_result, etag: str) -> str:
        self._etags[path] = (_stamp(stat), etag)
        if stat.st_size >= KEPT_ETAG_BYTES:
            kept = self._kept_etags()
            kept[path.relative_to(self._base).as_posix()] = (_stamp(stat), etag)
            self._write_kept(kept)
        return etag

    def _kept_etags(self) -> dict[str, tuple[FileStamp, str]]:
        if self._kept is None:
            try:
                raw = orjson.loads((self._base / ETAG_INDEX).read_bytes())
                self._kept = {k: (tuple(v[0]), v[1]) for k, v in raw.items()}
            except (OSError, ValueError, TypeError, IndexError, AttributeError):
                self._kept = {}  # none yet, or unreadable: hashed again, and written anew
        return self._kept

    def _write_kept(self, kept: dict[str, tuple[FileStamp, str]]) -> None:
        """Replace the index at once (a reader sees the old or the new one; two writers at
        once lose an entry, which is hashed again)."""
        live = {k: v for k, v in kept.items() if (self._base / k).is_file()}
        tmp: str | None = None
        try:
            fd, tmp = tempfile.mkstemp(prefix=".sxp-tmp", dir=self._base)
            with os.fdopen(fd, "wb") as out:
                out.write(orjson.dumps(live))
            os.replace(tmp, self._base / ETAG_INDEX)
        except OSError:  # a read-only folder lists all the same, hashing as it goes
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)

    def open_read(self, key: str) -> BinaryIO:
        path = self._path(key)
        if not path.is_file():
            raise StoreError(f"object not found: {key}", "not_found")
        return path.open("rb")

    def get_bytes(self, key: str) -> bytes:
        with self.open_read(key) as fh:
            return fh.read()

    def _atomic_write(self, key: str, writer: object) -> str:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".sxp-tmp", dir=target.parent)
        digest = hashlib.md5(usedforsecurity=False)
        with os.fdopen(fd, "wb") as out:
            writer(_Hashing(out, digest))  # type: ignore[operator]
        os.replace(tmp, target)
        return self._remember(target, target.stat(), digest.hexdigest())

    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> str:
        return self._atomic_write(key, lambda out: out.write(data))

    def put_file(self, key: str, path: Path, content_type: str | None = None) -> str:
        def copy(out: BinaryIO) -> None:
            with path.open("rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)

        return self._atomic_write(key, copy)

    def move_file(self, key: str, path: Path, content_type: str | None = None) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        self._etags.pop(target, None)  # hashed when first listed, like a file dropped by hand
        try:
            os.replace(path, target)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            self.put_file(key, path, content_type)  # another file system: copy, then remove
            path.unlink()

    def open_write(self, key: str, content_type: str | None = None) -> LocalStreamWriter:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        return LocalStreamWriter(self, target)

    def rename(self, source: str, target: str) -> None:
        src, dst = self._path(source), self._path(target)
        if not src.is_file():
            raise StoreError(f"object not found: {source}", "not_found")
        dst.parent.mkdir(parents=True, exist_ok=True)
        known = self._etags.pop(src, None)
        os.replace(src, dst)
        if known is not None:
            self._remember(dst, dst.stat(), known[1])

    def delete(self, key: str) -> None:
        path = self._path(key)
        self._etags.pop(path, None)
        path.unlink(missing_ok=True)

    def presigned_put(self, key: str, expires_s: int, content_type: str | None = None
                      ) -> str | None:
        return None

    def presigned_get(self, key: str, expires_s: int) -> str | None:
        return None

    def presigned_parts(self, key: str, parts: int, expires_s: int
                        ) -> tuple[str, Sequence[str]] | None:
        return None

    def complete_parts(self, key: str, upload_id: str, etags: Sequence[str]) -> str:
        raise StoreError("the local folder takes no multipart uploads", "bad_upload")

    def delete_prefix(self, prefix: str) -> None:
        check_folder(prefix)
        folder = self._path(prefix.rstrip("/"))
        if folder.is_dir():
            self._etags = {p: e for p, e in self._etags.items() if folder not in p.parents}
            shutil.rmtree(folder)

    def set_expiration_rules(self, rules: Sequence[ExpirationRule]) -> bool:
        return False

    def expiration_rules(self) -> tuple[ExpirationRule, ...]:
        return ()

    def url(self, key: str) -> str:
        return str(self._path(key))


class LocalStreamWriter:
    """A temporary file beside the target, renamed into place by `commit`."""

    def __init__(self, store: LocalDirObjectStore, target: Path) -> None:
        self._store, self._target = store, target
        fd, tmp = tempfile.mkstemp(prefix=".sxp-tmp", dir=target.parent)
        self._tmp = Path(tmp)
        self._out = os.fdopen(fd, "wb")
        self._digest = hashlib.md5(usedforsecurity=False)

    def write(self, data: bytes) -> None:
        self._digest.update(data)
        self._out.write(data)

    def commit(self) -> str:
        self._out.close()
        os.replace(self._tmp, self._target)
        return self._store._remember(self._target, self._target.stat(), self._digest.hexdigest())

    def abort(self) -> None:
        if not self._out.closed:
            self._out.close()
        self._tmp.unlink(missing_ok=True)


class _Hashing:
    """A write-only file that feeds what it writes to a hash on the way."""

    def __init__(self, out: BinaryIO, digest: hashlib._Hash) -> None:
        self._out = out
        self._digest = digest

    def write(self, data: bytes) -> int:
        self._digest.update(data)
        return self._out.write(data)


def _stamp(stat: os.stat_result) -> FileStamp:
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
