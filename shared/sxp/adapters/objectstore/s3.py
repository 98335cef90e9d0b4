"""Object store on the S3 API (DigitalOcean Spaces, or moto's server in tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, cast

from sxp.adapters.objectstore.base import ObjectInfo, check_folder
from sxp.errors import StoreError


class S3ObjectStore:
    def __init__(self, bucket: str, s3_client: Any) -> None:
        self.bucket = bucket
        self._s3 = s3_client

    def ensure_bucket(self) -> None:
        try:
            self._s3.head_bucket(Bucket=self.bucket)
        except self._s3.exceptions.ClientError:
            self._s3.create_bucket(Bucket=self.bucket)

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                yield ObjectInfo(obj["Key"], obj["ETag"].strip('"'), int(obj["Size"]))

    def head(self, key: str) -> ObjectInfo | None:
        try:
            resp = self._s3.head_object(Bucket=self.bucket, Key=key)
        except self._s3.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise StoreError(f"head {key} failed: {exc}") from exc
        return ObjectInfo(key, resp["ETag"].strip('"'), int(resp["ContentLength"]))

    def open_read(self, key: str) -> BinaryIO:
        try:
            resp = self._s3.get_object(Bucket=self.bucket, Key=key)
        except self._s3.exceptions.NoSuchKey as exc:
            raise StoreError(f"object not found: {key}", "not_found") from exc
        return cast(BinaryIO, resp["Body"])

    def get_bytes(self, key: str) -> bytes:
        with self.open_read(key) as body:
            data: bytes = body.read()
            return data

    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> str:
        extra = {"ContentType": content_type} if content_type else {}
        resp = self._s3.put_object(Bucket=self.bucket, Key=key, Body=data, **extra)
        return str(resp["ETag"]).strip('"')

    def put_file(self, key: str, path: Path, content_type: str | None = None) -> str:
        extra = {"ContentType": content_type} if content_type else None
        self._s3.upload_file(str(path), self.bucket, key, ExtraArgs=extra)
        info = self.head(key)
        assert info is not None
        return info.etag

    def move_file(self, key: str, path: Path, content_type: str | None = None) -> None:
        extra = {"ContentType": content_type} if content_type else None
        self._s3.upload_file(str(path), self.bucket, key, ExtraArgs=extra)
        path.unlink()

    def delete_prefix(self, prefix: str) -> None:
        check_folder(prefix)
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            keys = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
            if keys:  # a page holds at most 1,000 keys, as many as one DeleteObjects takes
                self._s3.delete_objects(Bucket=self.bucket, Delete={"Objects": keys,
                                                                    "Quiet": True})

    def url(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"
