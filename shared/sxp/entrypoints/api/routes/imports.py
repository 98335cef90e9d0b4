"""Imports: upload a file into the inbox (streamed, never held in memory) and follow it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from sxp.adapters.postgres import imports as repo
from sxp.bootstrap import App
from sxp.entrypoints.api.deps import PRINTABLE, Caller, get_app, require
from sxp.entrypoints.api.problems import ApiProblem, responses
from sxp.entrypoints.api.streaming import body_chunks
from sxp.pipeline.imports import SAFE_NAME_PATTERN, ImportUpload

router = APIRouter(prefix="/v1/imports", tags=["imports"])
Platform = Annotated[Literal["x", "tiktok", "threads"] | None,
                     Query(description="the platform of rows that do not say")]
Format = Annotated[Literal["jsonl", "json", "csv"] | None,
                   Query(description="the file's format (else sniffed from its bytes)")]
Filename = Annotated[str | None, Query(description="a plain name: letters, digits, . _ -",
                                       pattern=SAFE_NAME_PATTERN)]


class ImportAccepted(BaseModel):
    id: int
    key: str
    sha256: str
    size_bytes: int
    duplicate: bool
    status_url: str


class ImportStatus(BaseModel):
    id: int
    key: str
    sha256: str | None  # null until an upload that bypassed the API is ingested
    size_bytes: int
    filename: str
    created_at: datetime
    # registered (not scanned yet), pending, ingesting, ingested, failed, or duplicate (the
    # content of import `duplicate_of`: nothing of it was ingested or kept)
    state: str
    duplicate_of: int | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_unchanged: int = 0
    rows_stale: int = 0  # of the unchanged: outranked by the version Tier 1 already held
    rows_deduped: int = 0
    rows_rejected: int = 0
    reason_code: str | None = None
    reason: str | None = None
    rejects_url: str | None = None
    rejects_url_expires_in_s: int | None = None


@router.post(
    "", status_code=202, response_model=ImportAccepted,
    summary="Upload a file into the inbox",
    description="The request body is the file (JSONL, JSON or CSV, optionally gzip), sent as "
                "it is (any content type, chunked transfer encoding works). It streams to the "
                "object store; the next scan ingests it. The same content sent again is "
                "answered 200 with `duplicate: true` and the first upload's id and key.",
    responses={200: {"model": ImportAccepted, "description": "Duplicate of an earlier import"},
               **responses(400, 401, 403, 408, 413, 429)},
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary",
                                                "minLength": 1}}}}})
async def create_import(request: Request, platform: Platform = None, format: Format = None,
                        filename: Filename = None,
                        _caller: Caller = Depends(require("imports:write"))) -> Any:
    app: App = request.app.state.sxp
    upload = await run_in_threadpool(
        ImportUpload, app, filename=filename, platform=platform, fmt=format,
        max_bytes=app.settings.api_max_upload_bytes)
    try:
        async for chunk in body_chunks(request):
            await run_in_threadpool(upload.write, chunk)
    except BaseException:
        await run_in_threadpool(upload.abort)
        raise
    receipt = await run_in_threadpool(upload.finish)
    body = ImportAccepted(id=receipt.id, key=receipt.key, sha256=receipt.sha256,
                          size_bytes=receipt.size_bytes, duplicate=receipt.duplicate,
                          status_url=f"/v1/imports/{receipt.id}")
    return JSONResponse(body.model_dump(), status_code=200 if receipt.duplicate else 202)


@router.get("/{ref:path}", response_model=ImportStatus,
            summary="What became of an import (by id or inbox key)",
            responses=responses(401, 403, 404, 429))
def import_status(ref: Annotated[str, Path(description="the import's id or inbox key",
                                           min_length=1, max_length=1000,
                                           pattern=PRINTABLE)],
                  app: App = Depends(get_app),
                  _caller: Caller = Depends(require("imports:read"))) -> ImportStatus:
    with app.pooled() as conn:
        found = repo.find(conn, ref)
    if found is None:
        raise ApiProblem(404, "not_found", "no import has that id or key")
    imported, source = found
    status = ImportStatus(**{k: getattr(imported, k) for k in (
        "id", "key", "sha256", "size_bytes", "filename", "created_at", "duplicate_of")},
        state="duplicate" if imported.duplicate_of is not None
        else "registered" if source is None else str(source["state"]))
    if source is not None:
        for name in ("rows_read", "rows_loaded", "rows_unchanged", "rows_stale",
                     "rows_deduped", "rows_rejected"):
            setattr(status, name, int(source[name] or 0))
        status.reason_code, status.reason = source["reason_code"], source["reason"]
        if source["rejects_key"] and status.rows_rejected:
            expires = app.settings.api_link_expires_s
            status.rejects_url = app.store.presigned_get(source["rejects_key"], expires)
            status.rejects_url_expires_in_s = expires if status.rejects_url else None
    return status
