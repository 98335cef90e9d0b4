"""Uploads that bypass the API: a client asks for a URL and sends the file straight to the
object store (Spaces' presigned PUT, or a plan of presigned parts past 5 GB). With the local
folder store the API hands out an upload URL of its own, signed, that streams into the same
fresh inbox key. The file lands at a key of its own; the next scan ingests it. Its import is
registered with the plan (`status_url`) and settled by the ingest, which hashes the bytes as it
reads them: the same content as an earlier import makes it a `duplicate` of that one, and
nothing of it is ingested or kept.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from sxp.adapters.postgres import imports
from sxp.bootstrap import App
from sxp.entrypoints.api.deps import PRINTABLE, Caller, get_app, require
from sxp.entrypoints.api.problems import ApiProblem, responses
from sxp.entrypoints.api.streaming import body_chunks
from sxp.errors import StoreError
from sxp.pipeline.imports import SAFE_NAME_PATTERN, inbox_key

router = APIRouter(prefix="/v1/imports/uploads", tags=["imports"])
SINGLE_PUT_MAX = 5 * 1024**3  # S3's largest single PUT
MAX_PARTS = 10_000
MIN_PART = 64 * 1024**2


class UploadRequest(BaseModel):
    size_bytes: int = Field(ge=1, le=5 * 1024**4, description="the file's size")
    filename: str = Field("import.jsonl", pattern=SAFE_NAME_PATTERN)
    platform: Literal["x", "tiktok", "threads"] | None = None
    format: Literal["jsonl", "json", "csv"] | None = None


class UploadPart(BaseModel):
    part_number: int
    url: str


class UploadPlan(BaseModel):
    id: int  # the import: GET status_url for what became of it
    key: str
    status_url: str
    method: Literal["PUT", "multipart"]
    url: str | None = None  # PUT the whole file here
    upload_id: str | None = None  # multipart: PUT each part, then POST .../complete
    part_size: int | None = None
    parts: list[UploadPart] = []
    expires_at: datetime


class CompleteRequest(BaseModel):
    key: str = Field(min_length=1, max_length=1000, pattern=PRINTABLE)
    upload_id: str = Field(max_length=1000, pattern=r"^[A-Za-z0-9._~=+/-]+$")
    etags: list[Annotated[str, Field(max_length=200, pattern=r'^"?[A-Za-z0-9-]+"?$')]] = Field(
        min_length=1, max_length=MAX_PARTS, description="each part's ETag, in part order")


class Uploaded(BaseModel):
    key: str
    etag: str
    size_bytes: int | None = None


@router.post("", response_model=UploadPlan, status_code=201,
             summary="A URL (or a plan of part URLs) to upload a file straight to the store",
             responses=responses(401, 403, 429))
def plan_upload(body: UploadRequest, request: Request, app: App = Depends(get_app),
                _caller: Caller = Depends(require("imports:write"))) -> UploadPlan:
    expires = app.settings.api_link_expires_s
    key = inbox_key(app.settings.inbox_prefix, f"{uuid.uuid4().hex[:16]}-{body.filename}",
                    body.platform, body.format)
    at = datetime.now(UTC) + timedelta(seconds=expires)
    with app.pooled() as conn:
        import_id = imports.plan(conn, bucket=app.store.bucket, key=key,
                                 size_bytes=body.size_bytes, filename=body.filename)
    planned_import = {"id": import_id, "key": key, "status_url": f"/v1/imports/{import_id}",
                      "expires_at": at}
    if body.size_bytes > SINGLE_PUT_MAX:
        part_size = max(MIN_PART, math.ceil(body.size_bytes / MAX_PARTS / 2**20) * 2**20)
        planned = app.store.presigned_parts(key, math.ceil(body.size_bytes / part_size),
                                            expires)
        if planned is None:
            raise ApiProblem(400, "too_large", "this store takes files up to 5 GB")
        upload_id, urls = planned
        return UploadPlan(**planned_import, method="multipart", upload_id=upload_id,
                          part_size=part_size,
                          parts=[UploadPart(part_number=n, url=u)
                                 for n, u in enumerate(urls, 1)])
    url = app.store.presigned_put(key, expires)
    if url is None:  # the local folder: the API's own signed link
        url = str(request.url_for("put_upload", token=_sign(app, key, time.time() + expires)))
    return UploadPlan(**planned_import, method="PUT", url=url)


@router.post("/complete", response_model=Uploaded, summary="Finish a multipart upload",
             responses=responses(401, 403, 429))
def complete_upload(body: CompleteRequest, app: App = Depends(get_app),
                    _caller: Caller = Depends(require("imports:write"))) -> Uploaded:
    if not body.key.startswith(app.settings.inbox_prefix):
        raise ApiProblem(400, "bad_upload", "not an upload this API planned")
    try:
        etag = app.store.complete_parts(body.key, body.upload_id, body.etags)
    except StoreError as exc:
        raise ApiProblem(400, "bad_upload", exc.message) from None
    return Uploaded(key=body.key, etag=etag)


@router.put("/{token}", name="put_upload", response_model=Uploaded, status_code=201,
            summary="The API's own upload link (local folder store): PUT the file's bytes",
            description="Authorized by the signed token in the URL, as a presigned URL is.",
            responses=responses(403, 408, 413))
async def put_upload(token: Annotated[str, Path(max_length=2000)],
                     request: Request) -> Uploaded:
    app: App = request.app.state.sxp
    key = _verified(app, token)
    writer = await run_in_threadpool(app.store.open_write, key)
    size = 0
    try:
        async for chunk in body_chunks(request):
            size += len(chunk)
            await run_in_threadpool(writer.write, chunk)
        if size == 0:
            raise ApiProblem(400, "empty_body", "send the file's bytes as the request body")
        etag = await run_in_threadpool(writer.commit)
    except BaseException:
        await run_in_threadpool(writer.abort)
        raise
    return Uploaded(key=key, etag=etag, size_bytes=size)


def _secret(app: App) -> bytes:
    configured = app.settings.secret("api_signing_key")
    if configured:
        return configured.encode()
    return app.once("upload_signing_key", lambda: secrets.token_bytes(32))


def _sign(app: App, key: str, expires_at: float) -> str:
    payload = f"{int(expires_at)}|{key}".encode()
    mac = hmac.new(_secret(app), payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(payload + b"|" + mac).decode().rstrip("=")


def _verified(app: App, token: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload, mac = raw[:-33], raw[-32:]
        expires, _, key = payload.decode().partition("|")
        fresh = time.time() < int(expires)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ApiProblem(403, "bad_upload_link", "not an upload link this API gave") from None
    expected = hmac.new(_secret(app), payload, hashlib.sha256).digest()
    if not hmac.compare_digest(mac, expected) or raw[-33:-32] != b"|":
        raise ApiProblem(403, "bad_upload_link", "not an upload link this API gave")
    if not fresh:
        raise ApiProblem(403, "upload_link_expired", "the upload link has expired: ask again")
    return key
