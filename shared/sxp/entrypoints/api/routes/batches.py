"""The `api` transport: a consumer lists its batches, fetches their manifests and files, and
acknowledges what it took. A key bound to a consumer sees that consumer's batches only; an
admin key names the consumer with `?consumer=`."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel

from sxp.adapters.postgres import consumers as consumer_repo
from sxp.adapters.postgres import deliveries as repo
from sxp.adapters.postgres import exports
from sxp.adapters.postgres.deliveries import Delivery
from sxp.bootstrap import App
from sxp.domain.bundle import MANIFEST_FILE
from sxp.entrypoints.api.deps import PRINTABLE, Caller, get_app, require
from sxp.entrypoints.api.problems import ApiProblem, responses

router = APIRouter(prefix="/v1/batches", tags=["batches"])
BatchId = Annotated[str, Path(max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")]
ConsumerName = Annotated[str | None, Query(max_length=63, pattern=PRINTABLE)]
MAX_PAGE = 500


class BatchSummary(BaseModel):
    id: str
    sequence: int
    previous_batch_id: str | None
    created_at: datetime
    record_count: int
    withdrawal_count: int
    manifest_sha256: str
    counts_by_execution_label: dict[str, int]
    delivery_state: str
    acknowledged_at: datetime | None


class BatchPage(BaseModel):
    batches: list[BatchSummary]
    next_cursor: str  # pass as `after`: the page after the last batch listed (or the same)


class BatchFile(BaseModel):
    path: str
    url: str
    sha256: str | None  # the manifest's own sha256 for manifest.json


class BatchFiles(BaseModel):
    batch_id: str
    files: list[BatchFile]
    expires_at: datetime


class Acknowledged(BaseModel):
    batch_id: str
    state: str
    acknowledged_at: datetime | None


def _consumer_id(app: App, caller: Caller, consumer: str | None) -> int:
    if caller.consumer_id is not None:
        if consumer is not None:
            raise ApiProblem(400, "bad_request", "a consumer's key cannot name another consumer")
        return caller.consumer_id
    if not caller.may("admin") or consumer is None:
        raise ApiProblem(403, "forbidden", "this key is bound to no consumer (create one with"
                         " 'sxp keys create --consumer NAME'; admins pass ?consumer=)")
    with app.pooled() as conn:
        found = consumer_repo.by_name(conn, consumer)
    if found is None:
        raise ApiProblem(404, "not_found", "no consumer has that name")
    return found.id


def _cursor(sequence: int) -> str:
    return base64.urlsafe_b64encode(f"s{sequence}".encode()).decode().rstrip("=")


def _sequence_of(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        value = int(text.removeprefix("s")) if text.startswith("s") else -1
    except (binascii.Error, UnicodeDecodeError, ValueError):
        value = -1
    if not 0 <= value < 2**31:
        raise ApiProblem(400, "bad_cursor", "`after` is not a cursor this API gave")
    return value


def _summary(d: Delivery) -> BatchSummary:
    return BatchSummary(
        id=d.batch_id, sequence=d.sequence, previous_batch_id=d.previous_batch_id,
        created_at=d.batch_created_at, record_count=d.record_count,
        withdrawal_count=d.withdrawal_count, manifest_sha256=d.manifest_sha256,
        counts_by_execution_label=dict(d.counts_by_execution_label), delivery_state=d.state,
        acknowledged_at=d.acknowledged_at)


def _delivery(app: App, caller: Caller, consumer: str | None, batch_id: str) -> Delivery:
    consumer_id = _consumer_id(app, caller, consumer)
    with app.pooled() as conn:
        found = repo.of_batch(conn, consumer_id, batch_id)
    if found is None:
        raise ApiProblem(404, "not_found", "no batch of this consumer has that id")
    return found


@router.get("", response_model=BatchPage, summary="The consumer's batches after a cursor, in"
            " order", responses=responses(401, 403, 404, 429))
def list_batches(after: Annotated[str | None, Query(max_length=40, pattern=PRINTABLE)] = None,
                 limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
                 consumer: ConsumerName = None, app: App = Depends(get_app),
                 caller: Caller = Depends(require("batches:read"))) -> BatchPage:
    consumer_id = _consumer_id(app, caller, consumer)
    sequence = _sequence_of(after)
    with app.pooled() as conn:
        found = repo.consumer_batches(conn, consumer_id, after_sequence=sequence, limit=limit)
    last = found[-1].sequence if found else sequence
    return BatchPage(batches=[_summary(d) for d in found], next_cursor=_cursor(last))


@router.get("/{batch_id}", summary="The batch's manifest.json (ETag: its sha256)",
            responses={**responses(401, 403, 404, 429),
                       200: {"content": {"application/json": {}}},
                       304: {"description": "Not modified (If-None-Match matched)"}})
def manifest(batch_id: BatchId, consumer: ConsumerName = None,
             if_none_match: Annotated[str | None, Header(max_length=200)] = None,
             app: App = Depends(get_app),
             caller: Caller = Depends(require("batches:read"))) -> Response:
    found = _delivery(app, caller, consumer, batch_id)
    etag = f'"{found.manifest_sha256}"'
    if if_none_match is not None and etag in {t.strip() for t in if_none_match.split(",")}:
        return Response(status_code=304, headers={"ETag": etag})
    return Response(app.store.get_bytes(found.manifest_key), media_type="application/json",
                    headers={"ETag": etag, "Cache-Control": "private, max-age=31536000"})


@router.get("/{batch_id}/files", response_model=BatchFiles,
            summary="Short-lived links to the batch's files", responses=responses(
                401, 403, 404, 429))
def files(batch_id: BatchId, consumer: ConsumerName = None, app: App = Depends(get_app),
          caller: Caller = Depends(require("batches:read"))) -> BatchFiles:
    found = _delivery(app, caller, consumer, batch_id)
    expires = app.settings.api_link_expires_s
    folder = found.manifest_key.rsplit("/", 1)[0] + "/"
    with app.pooled() as conn:
        listed = exports.batch_files(conn, batch_id)
    out = [BatchFile(path=MANIFEST_FILE, url=_link(app, folder, batch_id, MANIFEST_FILE, expires),
                     sha256=found.manifest_sha256)]
    out += [BatchFile(path=f["path"], url=_link(app, folder, batch_id, f["path"], expires),
                      sha256=f["sha256"]) for f in listed]
    return BatchFiles(batch_id=batch_id, files=out,
                      expires_at=datetime.now(UTC) + timedelta(seconds=expires))


@router.get("/{batch_id}/files/{name}", summary="One file of the batch, served by the API where"
            " the store cannot presign (the local folder)",
            responses={**responses(401, 403, 404, 429),
                       200: {"content": {"application/octet-stream": {}}}})
def file(batch_id: BatchId, name: Annotated[str, Path(max_length=100,
                                                      pattern=r"^[A-Za-z0-9_.-]+$")],
         consumer: ConsumerName = None, app: App = Depends(get_app),
         caller: Caller = Depends(require("batches:read"))) -> StreamingResponse:
    found = _delivery(app, caller, consumer, batch_id)
    with app.pooled() as conn:
        names = {f["path"] for f in exports.batch_files(conn, batch_id)} | {MANIFEST_FILE}
    if name not in names:
        raise ApiProblem(404, "not_found", "the batch has no file of that name")
    key = found.manifest_key.rsplit("/", 1)[0] + "/" + name
    stream = app.store.open_read(key)

    def chunks() -> Iterator[bytes]:
        with stream:
            yield from iter(lambda: stream.read(1 << 16), b"")

    return StreamingResponse(chunks(), media_type="application/octet-stream")


@router.post("/{batch_id}/ack", response_model=Acknowledged,
             summary="Mark the batch taken (idempotent)", responses=responses(
                 401, 403, 404, 429))
def ack(batch_id: BatchId, consumer: ConsumerName = None, app: App = Depends(get_app),
        caller: Caller = Depends(require("batches:read"))) -> Acknowledged:
    consumer_id = _consumer_id(app, caller, consumer)
    with app.pooled() as conn:
        done = repo.acknowledge(conn, consumer_id, batch_id)
    if done is None:
        raise ApiProblem(404, "not_found", "no batch of this consumer has that id")
    return Acknowledged(batch_id=batch_id, state=done.state,
                        acknowledged_at=done.acknowledged_at)


def _link(app: App, folder: str, batch_id: str, name: str, expires_s: int) -> str:
    signed = app.store.presigned_get(folder + name, expires_s)
    return signed if signed is not None else f"/v1/batches/{batch_id}/files/{name}"
