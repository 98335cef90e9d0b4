"""For admins: consumers (register, list, pause, resume, remove), the outbox and its replay,
and erasures (as `sxp consumers …`, `sxp deliveries …` and `sxp erase`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from sxp.bootstrap import App
from sxp.entrypoints.api.deps import PRINTABLE, Caller, get_app, require
from sxp.entrypoints.api.problems import ApiProblem, responses
from sxp.errors import InputError
from sxp.pipeline import consumers as use

router = APIRouter(prefix="/v1", tags=["consumers"])
Name = Annotated[str, Path(max_length=63, pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
DeliveryState = Literal["pending", "delivered", "acknowledged", "paused", "dead"]


class NewConsumer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=63)
    transport: Literal["file", "api", "webhook", "queue"]
    settings: dict[str, Any] = Field(default_factory=dict, description="webhook: `url`,"
                                     " `timeout_s`; queue: `stream`, `maxlen`")
    execution_labels: list[Annotated[str, Field(max_length=100, pattern=PRINTABLE)]] | None = \
        Field(None, max_length=50, description="default: every label but `hold`")
    audience_pools: list[Annotated[str, Field(max_length=100, pattern=PRINTABLE)]] | None = \
        Field(None, max_length=50, description="default: every pool")
    include_contact: bool = True


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except InputError as exc:
        status = 404 if exc.reason_code in ("unknown_consumer", "unknown_delivery",
                                            "unknown_erasure") else \
            409 if exc.reason_code == "consumer_exists" else 400
        raise ApiProblem(status, exc.reason_code, exc.message) from None


@router.get("/consumers", summary="Every consumer", responses=responses(401, 403, 429))
def list_consumers(app: App = Depends(get_app),
                   _caller: Caller = Depends(require("admin"))) -> list[dict[str, Any]]:
    return [use.describe(c) for c in use.list_consumers(app)]


@router.post("/consumers", status_code=201, summary="Register a consumer (a webhook's signing"
             " secret is in the answer, once)", responses=responses(401, 403, 409, 429))
def add_consumer(body: NewConsumer, app: App = Depends(get_app),
                 _caller: Caller = Depends(require("admin"))) -> dict[str, Any]:
    added = _call(use.add_consumer, app, name=body.name, transport=body.transport,
                  settings=body.settings, execution_labels=body.execution_labels,
                  audience_pools=body.audience_pools, include_contact=body.include_contact)
    out = use.describe(added.consumer)
    if added.signing_secret:
        out["signing_secret"] = added.signing_secret
    return out


@router.get("/consumers/{name}", summary="One consumer", responses=responses(401, 403, 404, 429))
def show_consumer(name: Name, app: App = Depends(get_app),
                  _caller: Caller = Depends(require("admin"))) -> dict[str, Any]:
    return use.describe(_call(use.consumer, app, name))


@router.post("/consumers/{name}/pause", summary="Stop its deliveries",
             responses=responses(401, 403, 404, 429))
def pause_consumer(name: Name, app: App = Depends(get_app),
                   _caller: Caller = Depends(require("admin"))) -> dict[str, Any]:
    return use.describe(_call(use.pause, app, name))


@router.post("/consumers/{name}/resume", summary="Deliver again, starting with what waited",
             responses=responses(401, 403, 404, 429))
def resume_consumer(name: Name, app: App = Depends(get_app),
                    _caller: Caller = Depends(require("admin"))) -> dict[str, Any]:
    consumer, waiting = _call(use.resume, app, name)
    return {**use.describe(consumer), "deliveries_resumed": waiting}


@router.delete("/consumers/{name}", summary="Stop handing it batches (its history stays)",
               responses=responses(401, 403, 404, 429))
def remove_consumer(name: Name, app: App = Depends(get_app),
                    _caller: Caller = Depends(require("admin"))) -> dict[str, Any]:
    return use.describe(_call(use.remove, app, name))


@router.get("/deliveries", summary="The outbox, newest first",
            responses=responses(401, 403, 429))
def list_deliveries(consumer: Annotated[str | None, Query(max_length=63, pattern=PRINTABLE)]
                    = None, state: DeliveryState | None = None,
                    limit: Annotated[int, Query(ge=1, le=500)] = 100,
                    app: App = Depends(get_app),
                    _caller: Caller = Depends(require("admin"))) -> list[dict[str, Any]]:
    return [use.describe_delivery(d) for d in use.list_deliveries(
        app, consumer_name=consumer, state=state, limit=limit)]


@router.post("/deliveries/{delivery_id}/replay", summary="Deliver a batch again (same event id)",
             responses=responses(401, 403, 404, 429))
def replay_delivery(delivery_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
                    app: App = Depends(get_app),
                    _caller: Caller = Depends(require("admin"))) -> dict[str, Any]:
    return use.describe_delivery(_call(use.replay, app, delivery_id))


class ErasureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    handle: str | None = Field(None, max_length=200, description="PLATFORM:HANDLE")
    email: str | None = Field(None, max_length=320)
    phone: str | None = Field(None, max_length=40)


@router.post("/erasures", status_code=202, summary="Erase a subject (one of handle, email,"
             " phone) from every tier and staged object; consumers get tombstones",
             responses=responses(401, 403, 429))
def request_erasure(body: ErasureRequest, app: App = Depends(get_app),
                    caller: Caller = Depends(require("admin"))) -> dict[str, Any]:
    from sxp.pipeline.erase import request_erasure as request

    given = {k: v for k, v in body.model_dump().items() if v is not None}
    if len(given) != 1:
        raise ApiProblem(400, "bad_erasure_subject", "give exactly one of handle, email, phone")
    ((kind, value),) = given.items()
    erasure = _call(request, app, kind=kind, value=value, requested_by=f"api:{caller.name}")
    return {"id": erasure.id, "state": erasure.state, "cards": len(erasure.card_ids),
            "status_url": f"/v1/erasures/{erasure.id}"}


@router.get("/erasures/{erasure_id}", summary="An erasure's state and what it removed where",
            responses=responses(401, 403, 404, 429))
def erasure_status(erasure_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
                   app: App = Depends(get_app),
                   _caller: Caller = Depends(require("admin"))) -> dict[str, Any]:
    from sxp.adapters.postgres import erasures

    with app.pooled() as conn:
        found = erasures.get(conn, erasure_id)
    if found is None:
        raise ApiProblem(404, "not_found", "no erasure has that id")
    return {"id": found.id, "state": found.state, "subject_kind": found.subject_kind,
            "cards": len(found.card_ids), "removed": found.removed,
            "requested_at": found.requested_at, "finished_at": found.finished_at}
