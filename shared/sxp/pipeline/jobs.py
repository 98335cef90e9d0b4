"""The job kinds of the pipeline, the payload each takes, and the step function that runs it.

Contract for every step's `run_job(app, job)`:
- idempotent: running it twice, or after a crash at any point, gives the same end state;
- in its final transaction it writes its results, enqueues the next step's job(s) with
  `sxp.adapters.postgres.queue.enqueue`, and marks its own job done with `queue.complete`
  (which refuses, rolling the transaction back, when the job's lease was lost);
- in its long loops it calls `check_lease()`, so a job whose lease was lost stops early, and
  `report_progress(done, total, unit)`, so whoever runs it can show how far it is;
- it raises on failure: the job loop (`sxp.pipeline.runner`) retries what `errors` marks
  retryable, with backoff, and ends the rest `dead`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextvars import ContextVar
from importlib import import_module
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from sxp.adapters.postgres.queue import Job
from sxp.bootstrap import App
from sxp.errors import JobPayloadInvalid, LeaseLost, UnknownJobKind

JobHandler = Callable[[App, Job], None]

# kind -> "module:function", imported on first use (cold starts stay cheap)
JOB_KINDS: dict[str, str] = {
    "pull": "sxp.pipeline.pull:run_job",
    "ingest": "sxp.pipeline.ingest:run_job",
    "cards": "sxp.pipeline.cards:run_job",
    "label": "sxp.pipeline.label:run_job",
    "gate": "sxp.pipeline.gate:run_job",
    "enrich": "sxp.pipeline.enrich:run_job",
    "export": "sxp.pipeline.export:run_job",
    "deliver": "sxp.pipeline.deliver:run_job",
    "erase": "sxp.pipeline.erase:run_job",
    "retention": "sxp.pipeline.retention:run_job",
}


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IngestPayload(_Payload):
    source_file_id: int


class CardsPayload(_Payload):
    source_file_id: int | None = None


class EnrichPayload(_Payload):
    batch_id: str


class ExportPayload(_Payload):
    consumer: str | None = None


class DeliverPayload(_Payload):
    delivery_id: int


class ErasePayload(_Payload):
    """`erase {}` carries every pending erasure request through."""


class PullPayload(_Payload):
    platform: str
    handles: list[str]


P = TypeVar("P", bound=BaseModel)


def payload_of(job: Job, model: type[P]) -> P:
    """The job's payload as its step's model; a payload of another shape is a fatal error."""
    try:
        return model.model_validate(job.payload)
    except ValidationError as exc:
        fields = sorted({".".join(map(str, e["loc"])) or "payload" for e in exc.errors()})
        raise JobPayloadInvalid(f"{job.kind} job {job.id}: bad payload fields {fields}") from None


def handler_for(kind: str) -> JobHandler:
    target = JOB_KINDS.get(kind)
    if target is None:
        raise UnknownJobKind(f"unknown job kind: {kind!r} (known: {sorted(JOB_KINDS)})")
    module, _, func = target.partition(":")
    handler: JobHandler = getattr(import_module(module), func)
    return handler


_current_lease: ContextVar[threading.Event | None] = ContextVar("sxp_lease_lost", default=None)


def set_lease_lost_event(lost: threading.Event | None) -> None:
    """The job loop marks, for the thread running a job, the event its heartbeat sets when
    the lease is lost."""
    _current_lease.set(lost)


ProgressReport = Callable[[int, int | None, str], None]
_current_report: ContextVar[ProgressReport | None] = ContextVar("sxp_progress", default=None)


def set_progress_report(report: ProgressReport | None) -> None:
    """The job loop gives the thread running a job where its progress goes, if anywhere."""
    _current_report.set(report)


def report_progress(done: int, total: int | None, unit: str) -> None:
    """How far the running job is: `done` of `total` (None: not known) `unit`s (rows,
    cards...). Nothing when nobody watches."""
    report = _current_report.get()
    if report is not None:
        report(done, total, unit)


def check_lease() -> None:
    """Raise `LeaseLost` when the job this thread runs is no longer this worker's."""
    lost = _current_lease.get()
    if lost is not None and lost.is_set():
        raise LeaseLost("the job's lease was lost: another worker holds it now")
