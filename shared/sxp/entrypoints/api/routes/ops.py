"""Operations: pipeline status, the gate's dry run, jobs and their retry, a file consumer's
index."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel

from sxp.adapters.postgres import queue
from sxp.bootstrap import App
from sxp.entrypoints.api.deps import PRINTABLE, Caller, get_app, require
from sxp.entrypoints.api.problems import ApiProblem, responses

router = APIRouter(prefix="/v1", tags=["operations"])


class JobRow(BaseModel):
    id: int
    kind: str
    attempts: int
    last_error: str | None


class JobList(BaseModel):
    state: str
    jobs: list[JobRow]


class Retried(BaseModel):
    id: int
    state: Literal["todo"]


@router.get("/status", summary="Counts per tier, step and batch state (as `sxp status --json`)",
            responses=responses(401, 403, 429))
def status(app: App = Depends(get_app),
           _caller: Caller = Depends(require("imports:read"))) -> dict[str, Any]:
    from sxp.pipeline.status import collect_status

    return collect_status(app)


@router.post("/gate/dry-run", summary="What the gate would batch and cost now; writes nothing",
             responses=responses(401, 403, 429))
def gate_dry_run(app: App = Depends(get_app),
                 _caller: Caller = Depends(require("admin"))) -> dict[str, Any]:
    from sxp.pipeline.gate import gate

    return asdict(gate(app, dry_run=True))


@router.get("/jobs", response_model=JobList, summary="Jobs in a state (dead: with their error)",
            responses=responses(400, 401, 403, 429))
def jobs(state: Literal["dead"] = "dead", app: App = Depends(get_app),
         _caller: Caller = Depends(require("admin"))) -> JobList:
    with app.pooled() as conn:
        rows = queue.dead_jobs(conn)
    return JobList(state=state, jobs=[JobRow(**r) for r in rows])


@router.post("/jobs/{job_id}/retry", response_model=Retried,
             summary="Put a dead job back in the queue", responses=responses(401, 403, 404, 429))
def retry(job_id: int, app: App = Depends(get_app),
          _caller: Caller = Depends(require("admin"))) -> Retried:
    if not 0 < job_id < 2**63:
        raise ApiProblem(404, "not_found", "no dead job has that id")
    with app.pooled() as conn:
        if queue.retry_dead(conn, job_id) == 0:
            raise ApiProblem(404, "not_found", "no dead job has that id")
    return Retried(id=job_id, state="todo")


@router.get("/exports", summary="A file consumer's index head: its newest batches and the days"
            " that have any", responses=responses(401, 403, 429))
def exports_index(consumer: Annotated[str, Query(max_length=63, pattern=PRINTABLE)] = "default",
                  app: App = Depends(get_app),
                  _caller: Caller = Depends(require("admin"))) -> Response:
    from sxp.adapters.handoff.file import head_key

    key = head_key(app.settings.exports_prefix, app.settings.env, consumer)
    if app.store.head(key) is None:
        empty = {"schema_version": "lead_card_batch_head.v1", "consumer": consumer,
                 "latest": [], "days": []}
        return Response(orjson.dumps(empty), media_type="application/json")
    return Response(app.store.get_bytes(key), media_type="application/json")
