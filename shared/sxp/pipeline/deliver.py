"""Deliver step: one attempt at one delivery of the outbox, through its consumer's transport.

`deliver {"delivery_id": N}` jobs are written with the batch that they deliver, so nothing is
delivered from a batch that did not commit, and a killed deliverer's job is taken over when its
lease runs out. Each attempt is counted before it is made and audited after (consumer,
transport, batch, manifest sha256, attempt, outcome, status code, latency; no PII). A failed
attempt is retried by a new job on the schedule of `SXP_WEBHOOK_RETRY_SCHEDULE_S` with jitter,
never sooner than the receiver's `Retry-After`; `410 Gone` pauses the consumer; other 4xx end
the delivery as dead after a few attempts.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import orjson

from sxp.adapters.handoff.base import Attempt, AttemptResult
from sxp.adapters.postgres import consumers, deliveries, queue
from sxp.adapters.postgres.audit import record_event
from sxp.adapters.postgres.deliveries import FINAL_STATES, Delivery
from sxp.adapters.postgres.queue import Job
from sxp.bootstrap import App
from sxp.domain.handoff import BatchPublished, EventData, retry_delay_s, verdict_of
from sxp.logs import get_logger
from sxp.pipeline.jobs import DeliverPayload, payload_of

log = get_logger("deliver")
MAX_JOB_ATTEMPTS = 20  # the job's own retries, for failures of sxp itself (store, database)


def run_job(app: App, job: Job) -> None:
    deliver(app, payload_of(job, DeliverPayload).delivery_id, job=job)


def deliver(app: App, delivery_id: int, *, job: Job | None = None) -> str:
    """Make one attempt (unless the delivery is over or its consumer paused); its new state."""
    with app.connect() as conn:
        delivery = deliveries.get(conn, delivery_id)
        conn.commit()
        if delivery is None or delivery.state in FINAL_STATES:
            with conn.transaction():
                _complete(conn, job)
            return "missing" if delivery is None else delivery.state
        if delivery.consumer_state != "active":
            with conn.transaction():
                deliveries.finish_attempt(conn, delivery.id, state="paused",
                                          status=delivery.last_status,
                                          error=f"consumer {delivery.consumer_state}")
                _complete(conn, job)
            return "paused"
        number = deliveries.start_attempt(conn, delivery.id)
        body = event_body(app, delivery)
        event = BatchPublished.model_validate_json(body)
        started = time.monotonic()
        result = app.transport(delivery.transport).deliver(
            Attempt(delivery=delivery, event=event, body=body, number=number), conn)
        latency_ms = round((time.monotonic() - started) * 1000, 1)
        with conn.transaction():
            state = _settle(app, conn, delivery, number, result, latency_ms, job)
    log.info("delivery attempt", extra={
        "delivery_id": delivery.id, "consumer": delivery.consumer,
        "transport": delivery.transport, "batch_id": delivery.batch_id, "attempt": number,
        "state": state, "status_code": result.status, "latency_ms": latency_ms})
    return state


def event_body(app: App, delivery: Delivery) -> bytes:
    """The `batch.published` event: the same bytes on every attempt of the delivery."""
    event = BatchPublished(
        timestamp=delivery.created_at.astimezone(UTC),
        data=EventData(
            batch_id=delivery.batch_id, consumer=delivery.consumer, sequence=delivery.sequence,
            previous_batch_id=delivery.previous_batch_id,
            manifest_url=app.store.url(delivery.manifest_key),
            manifest_sha256=delivery.manifest_sha256, record_count=delivery.record_count,
            withdrawal_count=delivery.withdrawal_count,
            counts_by_execution_label=dict(delivery.counts_by_execution_label)))
    return orjson.dumps(event.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)


def _settle(app: App, conn: deliveries.Conn, delivery: Delivery, number: int,
            result: AttemptResult, latency_ms: float, job: Job | None) -> str:
    schedule = app.settings.webhook_retry_schedule_s
    state = verdict_of(result.status, number, schedule)
    retry_in = None
    if state == "retry":
        retry_in = retry_delay_s(number, schedule, result.retry_after_s)
    elif state == "paused":
        consumers.pause_by_id(conn, delivery.consumer_id, "the receiver answered 410 Gone")
    stored = "pending" if state == "retry" else state
    deliveries.finish_attempt(conn, delivery.id, state=stored, status=result.status,
                              error=result.error, stream_id=result.stream_id,
                              retry_in_s=retry_in)
    since_commit_ms = round((datetime.now(UTC) - delivery.created_at).total_seconds() * 1000)
    record_event(conn, event_type="delivery", actor="sxp-deliver", service="deliver",
                 outcome=state, checksum=delivery.manifest_sha256, details={
                     "delivery_id": delivery.id, "consumer": delivery.consumer,
                     "transport": delivery.transport, "batch": delivery.batch_id,
                     "attempt": number, "status_code": result.status,
                     "error": result.error, "latency_ms": latency_ms,
                     "since_commit_ms": since_commit_ms, "retry_in_s": retry_in})
    _complete(conn, job)
    if retry_in is not None:
        schedule_attempt(conn, delivery.id, delay_s=retry_in)
    return stored


def schedule_attempt(conn: deliveries.Conn, delivery_id: int, *, delay_s: float = 0) -> None:
    """Queue the delivery's next attempt (in the caller's transaction)."""
    queue.enqueue(conn, "deliver", {"delivery_id": delivery_id},
                  queueing_lock=f"deliver:{delivery_id}", max_attempts=MAX_JOB_ATTEMPTS,
                  delay_s=delay_s)


def _complete(conn: deliveries.Conn, job: Job | None) -> None:
    if job is not None:
        queue.complete(conn, job)
