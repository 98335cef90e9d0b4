"""Object store on the S3 API (DigitalOcean Spaces, or moto's server in tests)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, cast

from sxp.adapters.objectstore.base import ExpirationRule, ObjectInfo, check_folder
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
                yield ObjectInfo(obj["Key"], obj["ETag"].strip('"'), int(obj["Size"]),
                                 obj.get("LastModified"))

    def head(self, key: str) -> ObjectInfo | None:
        try:
            resp = self._s3.head_object(Bucket=self.bucket, Key=key)
        except self._s3.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise StoreError(f"head {key} failed: {exc}") from exc
        return ObjectInfo(key, resp["ETag"].strip('"'), int(resp["ContentLength"]),
                          resp.get("LastModified"))

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

    def open_write(self, key: str, content_type: str | None = None) -> S3StreamWriter:
        return S3StreamWriter(self._s3, self.bucket, key, content_type)

    def rename(self, source: str, target: str) -> None:
        # managed copy: a multipart copy past 5 GB, server-side either way
        self._s3.copy({"Bucket": self.bucket, "Key": source}, self.bucket, target)
        self.delete(source)

    def delete(self, key: str) -> None:
        self._s3.delete_object(Bucket=self.bucket, Key=key)

    def presigned_put(self, key: str, expires_s: int, content_type: str | None = None
                      ) -> str | None:
        params = {"Bucket": self.bucket, "Key": key}
        if content_type:
            params["ContentType"] = content_type
        url: str = self._s3.generate_presigned_url("put_object", Params=params,
                                                   ExpiresIn=expires_s)
        return url

    def presigned_get(self, key: str, expires_s: int) -> str | None:
        url: str = self._s3.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_s)
        return url

    def presigned_parts(self, key: str, parts: int, expires_s: int
                        ) -> tuple[str, Sequence[str]] | None:
        upload_id = str(self._s3.create_multipart_upload(Bucket=self.bucket, Key=key)["UploadId"])
        urls = [self._s3.generate_presigned_url(
            "upload_part", Params={"Bucket": self.bucket, "Key": key, "UploadId": upload_id,
                                   "PartNumber": n}, ExpiresIn=expires_s)
            for n in range(1, parts + 1)]
        return upload_id, urls

    def complete_parts(self, key: str, upload_id: str, etags: Sequence[str]) -> str:
        try:
            resp = self._s3.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id,
                MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e}
                                           for n, e in enumerate(etags, 1)]})
        except self._s3.exceptions.ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            raise StoreError(f"the upload could not be completed: {code}",
                             "bad_upload") from None
        return str(resp["ETag"]).strip('"')

    def delete_prefix(self, prefix: str) -> None:
        check_folder(prefix)
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            keys = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
            if keys:  # a page holds at most 1,000 keys, as many as one DeleteObjects takes
                self._s3.delete_objects(Bucket=self.bucket, Delete={"Objects": keys,
                                                                    "Quiet": True})

    def set_expiration_rules(self, rules: Sequence[ExpirationRule]) -> bool:
        self._s3.put_bucket_lifecycle_configuration(
            Bucket=self.bucket, LifecycleConfiguration={"Rules": [
                {"ID": r.id, "Filter": {"Prefix": r.prefix}, "Status": "Enabled",
                 "Expiration": {"Days": r.days}} for r in rules]})
        return True

    def expiration_rules(self) -> tuple[ExpirationRule, ...]:
        try:
            resp = self._s3.get_bucket_lifecycle_configuration(Bucket=self.bucket)
        except self._s3.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NoSuchLifecycleConfiguration":
                return ()
            raise StoreError(f"lifecycle of {self.bucket} unreadable: {exc}") from exc
        return tuple(ExpirationRule(r["ID"], (r.get("Filter") or {}).get("Prefix",
                                                                         r.get("Prefix", "")),
                                    int(r["Expiration"]["Days"]))
                     for r in resp.get("Rules", []) if "Days" in r.get("Expiration", {}))

    def url(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"


PART_BYTES = 8 << 20  # S3's minimum part is 5 MB; 10,000 parts of 8 MB carry 80 GB


class S3StreamWriter:
    """A multipart upload fed by `write`: one part buffered at a time; a small object (under
    one part) is a single PUT."""

    def __init__(self, s3: Any, bucket: str, key: str, content_type: str | None) -> None:
        self._s3, self._bucket, self._key = s3, bucket, key
        self._extra = {"ContentType": content_type} if content_type else {}
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self._done = False

    def write(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= PART_BYTES:
            self._send_part(bytes(self._buffer[:PART_BYTES]))
            del self._buffer[:PART_BYTES]

    def _send_part(self, body: bytes) -> None:
        if self._upload_id is None:
            self._upload_id = str(self._s3.create_multipart_upload(
                Bucket=self._bucket, Key=self._key, **self._extra)["UploadId"])
        number = len(self._parts) + 1
        resp = self._s3.upload_part(Bucket=self._bucket, Key=self._key, PartNumber=number,
                                    UploadId=self._upload_id, Body=body)
        self._parts.append({"PartNumber": number, "ETag": resp["ETag"]})

    def commit(self) -> str:
        if self._upload_id is None:
            resp = self._s3.put_object(Bucket=self._bucket, Key=self._key,
                                       Body=bytes(self._buffer), **self._extra)
        else:
            if self._buffer:
                self._send_part(bytes(self._buffer))
            resp = self._s3.complete_multipart_upload(
                Bucket=self._bucket, Key=self._key, UploadId=self._upload_id,
                MultipartUpload={"Parts": self._parts})
        self._buffer.clear()
        self._done = True
        return str(resp["ETag"]).strip('"')

    def abort(self) -> None:
        if not self._done and self._upload_id is not None:
            self._s3.abort_multipart_upload(Bucket=self._bucket, Key=self._key,
                                            UploadId=self._upload_id)
        self._buffer.clear()
        self._done = True
