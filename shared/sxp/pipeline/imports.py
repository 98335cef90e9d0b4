"""Put files into the inbox for the next scan: HTTP uploads and `sxp import` alike.

Every upload gets a key of its own, `inbox/[platform=<p>/][format=<f>/]<yyyy-mm-dd>/<id>-<name>`
(the optional segments are per-import hints the scan reads back into `social.source_files`), so
no upload overwrites another. The bytes stream to `uploads/<id>` first, hashed on the way; only
content not imported before (by sha256) moves into the inbox, and the same content sent again
is reported as a duplicate of the first upload, not stored twice.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from sxp.adapters.objectstore.base import ObjectWriter
from sxp.adapters.postgres import imports as repo
from sxp.adapters.sources.streams import FORMATS
from sxp.bootstrap import App
from sxp.domain.normalize import PLATFORMS
from sxp.errors import InputError

UPLOADS_PREFIX = "uploads/"
# a plain file name: what an upload may be called (the API documents the same pattern)
SAFE_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$"
_SAFE_NAME = re.compile(SAFE_NAME_PATTERN)
_EXTENSIONS = {"jsonl": ".jsonl", "json": ".json", "csv": ".csv"}


@dataclass(frozen=True)
class ImportReceipt:
    id: int
    key: str
    sha256: str
    size_bytes: int
    duplicate: bool  # this content was imported before: id and key are the first import's


def inbox_key(inbox_prefix: str, filename: str, platform: str | None = None,
              fmt: str | None = None, day: datetime | None = None) -> str:
    check_hints(platform, fmt)
    parts = [inbox_prefix.rstrip("/")]
    if platform:
        parts.append(f"platform={platform}")
    if fmt:
        parts.append(f"format={fmt}")
    parts.append((day or datetime.now(UTC)).strftime("%Y-%m-%d"))
    parts.append(filename)
    return "/".join(parts)


def check_hints(platform: str | None, fmt: str | None) -> None:
    if platform is not None and platform not in PLATFORMS:
        raise InputError(f"unknown platform {platform!r} (x, tiktok or threads)",
                         "unknown_platform")
    if fmt is not None and fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r} ({', '.join(FORMATS)})", "unknown_format")


def check_filename(filename: str | None) -> None:
    if filename is not None and not _SAFE_NAME.match(filename):
        raise InputError("filename must be a plain name of letters, digits, '.', '_' or '-'",
                         "bad_filename")


class ImportUpload:
    """One upload in progress: `write` its bytes (any chunk size), then `finish` or `abort`.
    Memory holds at most one part of the object store's stream, whatever the file's size."""

    def __init__(self, app: App, *, filename: str | None, platform: str | None,
                 fmt: str | None, max_bytes: int) -> None:
        check_hints(platform, fmt)
        check_filename(filename)
        self._app, self._filename, self._platform, self._fmt = app, filename, platform, fmt
        self._max_bytes = max_bytes
        self._id = uuid.uuid4().hex[:16]
        self._staging = f"{UPLOADS_PREFIX}{self._id}"
        self._writer: ObjectWriter = app.store.open_write(self._staging)
        self._sha256 = hashlib.sha256()
        self._size = 0
        self._head = b""

    def write(self, chunk: bytes) -> None:
        if not chunk:
            return
        self._size += len(chunk)
        if self._size > self._max_bytes:
            self.abort()
            raise InputError(f"the file is larger than {self._max_bytes} bytes: upload it"
                             " through POST /v1/imports/uploads", "too_large")
        if len(self._head) < 2:
            self._head += chunk[:2]
        self._sha256.update(chunk)
        self._writer.write(chunk)

    def abort(self) -> None:
        self._writer.abort()

    def finish(self) -> ImportReceipt:
        if self._size == 0:
            self.abort()
            raise InputError("empty body: send the file's bytes as the request body",
                             "empty_body")
        self._writer.commit()
        digest = self._sha256.hexdigest()
        store = self._app.store
        name = self._filename or self._default_name()
        key = inbox_key(self._app.settings.inbox_prefix, f"{self._id}-{name}", self._platform,
                        self._fmt)
        with self._app.connect() as conn, conn.transaction():
            new_id = repo.add(conn, bucket=store.bucket, key=key, sha256=digest,
                              size_bytes=self._size, filename=name)
            if new_id is None:
                store.delete(self._staging)
                first = repo.by_sha256(conn, digest)
                assert first is not None
                return ImportReceipt(first.id, first.key, digest, first.size_bytes, True)
            store.rename(self._staging, key)  # the row commits only once the object is there
        return ImportReceipt(new_id, key, digest, self._size, False)

    def _default_name(self) -> str:
        gz = ".gz" if self._head[:2] == b"\x1f\x8b" else ""
        return f"import{_EXTENSIONS.get(self._fmt or 'jsonl', '.jsonl')}{gz}"


def import_stream(app: App, chunks: Iterable[bytes], *, filename: str | None,
                  platform: str | None = None, fmt: str | None = None,
                  max_bytes: int = 1 << 62) -> ImportReceipt:
    upload = ImportUpload(app, filename=filename, platform=platform, fmt=fmt,
                          max_bytes=max_bytes)
    try:
        for chunk in chunks:
            upload.write(chunk)
    except BaseException:
        upload.abort()
        raise
    return upload.finish()


def import_paths(app: App, paths: list[Path], platform: str | None = None,
                 fmt: str | None = None) -> list[ImportReceipt]:
    """Upload each local file (or every file of a folder) into the inbox."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(f"no such file: {path}", "file_not_found")
    receipts = []
    for path in files:
        with path.open("rb") as src:
            receipts.append(import_stream(app, _blocks(src), filename=_safe(path.name),
                                          platform=platform, fmt=fmt))
    return receipts


def _blocks(src: BinaryIO) -> Iterator[bytes]:
    while block := src.read(1 << 20):
        yield block


def _safe(name: str) -> str:
    """A local file's name as an inbox name: other characters become '_'."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip("._-") or "import"
    return cleaned[:200]
