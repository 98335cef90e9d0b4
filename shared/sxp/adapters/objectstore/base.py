"""The object store port: what Spaces (S3 API) and the local folder both offer."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from sxp.errors import StoreError


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    etag: str
    size: int
    last_modified: datetime | None = None


@dataclass(frozen=True)
class ExpirationRule:
    """A bucket lifecycle rule: objects under `prefix` expire `days` after they were written."""

    id: str
    prefix: str
    days: int


def check_folder(prefix: str) -> None:
    """`delete_prefix` takes a folder, never the whole bucket or a partial name."""
    if not prefix.endswith("/") or not prefix.strip("/"):
        raise StoreError(f"not a folder prefix: {prefix!r}", "bad_key")


class ObjectWriter(Protocol):
    """An object written as a stream: nothing is visible at its key until `commit`."""

    def write(self, data: bytes) -> None: ...

    def commit(self) -> str:
        """Make the object visible; returns its ETag."""

    def abort(self) -> None:
        """Drop what was written (idempotent; a no-op after commit)."""


class ObjectStore(Protocol):
    bucket: str

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Every object under `prefix`, in key order."""

    def head(self, key: str) -> ObjectInfo | None:
        """Metadata of one object, or None when it does not exist."""

    def open_read(self, key: str) -> BinaryIO:
        """A streaming binary reader; the caller closes it."""

    def get_bytes(self, key: str) -> bytes:
        """A whole (small) object."""

    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> str:
        """Write an object at once; returns its ETag."""

    def put_file(self, key: str, path: Path, content_type: str | None = None) -> str:
        """Upload a local file (multipart when large); returns its ETag."""

    def move_file(self, key: str, path: Path, content_type: str | None = None) -> None:
        """Upload a local file the caller is done with; it is gone afterwards. The local folder
        moves it into place rather than copying it, and hashes it when it is first listed."""

    def open_write(self, key: str, content_type: str | None = None) -> ObjectWriter:
        """Write an object as a stream, holding at most one part (8 MB) in memory."""

    def rename(self, source: str, target: str) -> None:
        """Move an object to another key (S3: a server-side copy, then a delete)."""

    def delete(self, key: str) -> None:
        """Remove one object (no error when it is gone already)."""

    def presigned_put(self, key: str, expires_s: int, content_type: str | None = None
                      ) -> str | None:
        """A URL a client PUTs the object to without credentials; None where the store has
        no such URLs (the local folder: the API offers its own)."""

    def presigned_get(self, key: str, expires_s: int) -> str | None:
        """A short-lived URL to read one object; None where the store has none."""

    def presigned_parts(self, key: str, parts: int, expires_s: int
                        ) -> tuple[str, Sequence[str]] | None:
        """Start a multipart upload: (upload id, a PUT URL per part); None where the store
        has no such URLs."""

    def complete_parts(self, key: str, upload_id: str, etags: Sequence[str]) -> str:
        """Finish a multipart upload from its parts' ETags (in part order); its ETag."""

    def delete_prefix(self, prefix: str) -> None:
        """Remove every object whose key starts with `prefix` (a folder: it ends with '/')."""

    def set_expiration_rules(self, rules: Sequence[ExpirationRule]) -> bool:
        """Make these the bucket's lifecycle rules (False: the store has none, the local
        folder; the retention step alone removes old objects there)."""
        ...

    def expiration_rules(self) -> tuple[ExpirationRule, ...]:
        """The bucket's lifecycle expiration rules, read back."""
        ...

    def url(self, key: str) -> str:
        """Where a user finds the object (s3://bucket/key or a local path)."""
