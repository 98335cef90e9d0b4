"""Export step: each consumer's next Lead Card Batch, written to the store and put in the
handoff outbox.

Per active consumer, three phases, each safe to kill:
1. claim   — the cards of the consumer's next span of the handoff sequence that it wants and
             does not hold in their current version (records), and those it holds but no
             longer wants (withdrawals), go to a new batch, committed as 'writing';
2. write   — `lead_cards.jsonl.gz`, `versions.jsonl`, `dnc.jsonl`, `handoff.json` and
             `manifest.json` go to `exports/<env>/<consumer>/<yyyy>/<mm>/<dd>/<batch_id>/`;
3. publish — one transaction records what the consumer now holds, marks the batch published,
             writes its delivery and the deliver job (the outbox), and audits the handoff.
A rerun first finishes the consumer's 'writing' batch with the same cards; the bundle bytes
are deterministic (record order, gzip mtime 0, times from the batch row), so a rewrite is
identical. Nothing is written for a consumer with nothing to receive.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from sxp import __version__
from sxp.adapters.bundle_files import Sidecar, WrittenBundle, write_bundle
from sxp.adapters.postgres import consumers, deliveries, queue, suppressions
from sxp.adapters.postgres import exports as repo
from sxp.adapters.postgres.audit import record_event
from sxp.adapters.postgres.consumers import Consumer
from sxp.adapters.postgres.queue import Job
from sxp.bootstrap import App
from sxp.domain.bundle import RecordLines
from sxp.domain.handoff import (
    DNC_CONTENT_TYPE,
    DNC_FILE,
    HANDOFF_CONTENT_TYPE,
    HANDOFF_FILE,
    VERSIONS_CONTENT_TYPE,
    VERSIONS_FILE,
    HandoffInfo,
    Producer,
    dnc_status,
    version_lines,
)
from sxp.domain.privacy import SuppressedPoints
from sxp.logs import get_logger
from sxp.pipeline.deliver import schedule_attempt
from sxp.pipeline.export_parallel import Encoder, SliceSource, record_encoder, worker_count
from sxp.pipeline.jobs import ExportPayload, check_lease, payload_of, report_progress

log = get_logger("export")


@dataclass(frozen=True)
class ExportResult:
    batch_id: str
    consumer: str
    sequence: int
    record_count: int
    withdrawal_count: int
    manifest_key: str
    manifest_url: str
    manifest_sha256: str
    delivery_id: int
    counts_by_execution_label: dict[str, int]
    resumed: bool


def export(app: App, *, consumer: str | None = None,
           max_cards: int | None = None) -> list[ExportResult]:
    """Export now: per active consumer (or the one named), finish its unfinished batch or
    export its next batch of up to `max_cards` cards (`SXP_EXPORT_BATCH_CARDS`)."""
    return _export(app, job=None, consumer=consumer,
                   max_cards=max_cards or app.settings.export_batch_cards)


def run_job(app: App, job: Job) -> None:
    """`export {}`: one batch per consumer per job; another job is queued while cards remain."""
    payload = payload_of(job, ExportPayload)
    _export(app, job=job, consumer=payload.consumer, max_cards=app.settings.export_batch_cards)


def batch_folder(app: App, consumer: str, batch_id: str, created_at: datetime) -> str:
    day = created_at.astimezone(UTC)
    return (f"{app.settings.exports_prefix}{app.settings.env}/{consumer}/"
            f"{day:%Y}/{day:%m}/{day:%d}/{batch_id}/")


def new_batch_id(now: datetime) -> str:
    return f"xb-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def claim_export_batch(app: App, conn: repo.Conn, consumer: Consumer, watermark: int,
                       max_cards: int | None = None) -> repo.ExportBatch | None:
    """Phase 1: the consumer's unfinished batch if any, else its next one (committed); None
    once its cursor reaches the watermark with nothing for it."""
    batch = repo.unfinished_batch(conn, consumer.id)
    conn.commit()
    current: Consumer | None = consumer
    while batch is None and current is not None and current.cursor_seq < watermark:
        now = datetime.now(UTC)
        batch_id = new_batch_id(now)
        manifest_key = batch_folder(app, current.name, batch_id, now) + "manifest.json"
        batch = repo.claim_batch(conn, current, batch_id=batch_id, env=app.settings.env,
                                 manifest_key=manifest_key, created_at=now,
                                 watermark=watermark,
                                 max_cards=max_cards or app.settings.export_batch_cards)
        current = consumers.by_id(conn, consumer.id)
        conn.commit()
        check_lease()
    return batch


def write_export_batch(app: App, conn: repo.Conn, batch: repo.ExportBatch) -> WrittenBundle:
    """Phase 2: write records, sidecars and manifest to the object store."""
    folder = batch.manifest_key.rsplit("/", 1)[0] + "/"
    rejected: list[tuple[int, str]] = []
    phone_checks: list[repo.PhoneCheck] = []
    source = SliceSource(conn, app.database_uri, app.settings.db_role,
                         _suppressed_points(app, conn))
    max_age = app.ruleset().dnc.max_age_days
    previous_sha = repo.manifest_sha256_of(conn, batch.previous_batch_id)
    versions = repo.batch_versions(conn, batch.id)
    conn.commit()

    def sidecars(record_count: int) -> list[Sidecar]:
        left_out = {card_id for card_id, _ in rejected}
        kept = [v for v in versions if v.card_id not in left_out] if left_out else versions
        info = HandoffInfo(
            batch_id=batch.id, consumer=batch.consumer, sequence=batch.sequence,
            previous_batch_id=batch.previous_batch_id, previous_manifest_sha256=previous_sha,
            producer=Producer(version=__version__), record_count=record_count,
            withdrawal_count=sum(v.action == "withdrawal" for v in kept),
            include_contact=batch.include_contact)
        body = orjson.dumps(info.model_dump(mode="json"),
                            option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
        dnc = [dnc_status(c.card_id, c.phone_index, c.dnc, c.checked_at,
                          as_of=batch.created_at, max_age_days=max_age) for c in phone_checks]
        dnc_lines = b"".join(orjson.dumps(d.model_dump(mode="json")) + b"\n" for d in dnc)
        return [Sidecar(VERSIONS_FILE, version_lines(kept), VERSIONS_CONTENT_TYPE, len(kept)),
                Sidecar(DNC_FILE, dnc_lines, DNC_CONTENT_TYPE, len(dnc)),
                Sidecar(HANDOFF_FILE, body, HANDOFF_CONTENT_TYPE, 1)]

    def record_blocks(encode: Encoder, slices: list[repo.BatchSlice]) -> Iterator[RecordLines]:
        done = 0
        for chunk in encode(slices):
            rejected.extend(chunk.rejected)
            phone_checks.extend(chunk.phone_checks)
            done += len(chunk.records.lines) + len(chunk.rejected)
            report_progress(done, batch.card_count, "cards")
            yield chunk.records
        report_progress(done, batch.card_count, "cards")  # the last, even of none

    with (repo.reading_batch(conn, batch) as slices,
          record_encoder(source, worker_count(batch.card_count)) as encode):
        written = write_bundle(app.store, record_blocks(encode, slices), rejected=rejected,
                               batch_id=batch.id, env=batch.env, created_at=batch.created_at,
                               folder=folder, gzip_records=app.settings.export_gzip,
                               sidecars=sidecars)
    conn.commit()
    return written


def _suppressed_points(app: App, conn: repo.Conn) -> SuppressedPoints | None:
    """Whether an e-mail or phone is on the suppression list (None: no contact point is)."""
    hashes = suppressions.hashes_of(conn, ("email", "phone"))
    return SuppressedPoints(app.privacy_key(), frozenset(hashes)) if hashes else None


def publish_export_batch(conn: repo.Conn, batch: repo.ExportBatch, written: WrittenBundle,
                         transport: str) -> int:
    """Phase 3: one transaction records the handoff, publishes the batch, writes its delivery
    and the job that makes it, and audits it. The delivery's id."""
    manifest = written.manifest
    with conn.transaction():
        repo.publish_batch(conn, batch, manifest_sha256=written.manifest_sha256,
                           files=[f.model_dump(mode="json") for f in manifest.files],
                           counts=manifest.counts_by_execution_label,
                           record_count=manifest.record_count, rejected=written.rejected)
        delivery_id = deliveries.create(conn, batch_id=batch.id, consumer_id=batch.consumer_id,
                                        transport=transport)
        schedule_attempt(conn, delivery_id)
        record_event(conn, event_type="handoff", actor="sxp-export", service="export",
                     batch_id=batch.id, outcome="ok", checksum=written.manifest_sha256,
                     details={"record_count": manifest.record_count,
                              "withdrawal_count": batch.withdrawal_count,
                              "manifest_key": batch.manifest_key, "consumer": batch.consumer,
                              "sequence": batch.sequence, "transport": transport,
                              "delivery_id": delivery_id,
                              **({"cards_rejected": len(written.rejected)}
                                 if written.rejected else {})})
    return delivery_id


def _export(app: App, *, job: Job | None, consumer: str | None,
            max_cards: int) -> list[ExportResult]:
    with app.connect() as lock_conn, repo.one_exporter(lock_conn), app.connect() as conn:
        results = _export_locked(app, conn, consumer=consumer, max_cards=max_cards)
        with conn.transaction():
            _finish_job(conn, job)
    if not results:
        log.info("export: nothing new for any consumer", extra={"env": app.settings.env})
    return results


def _export_locked(app: App, conn: repo.Conn, *, consumer: str | None,
                   max_cards: int) -> list[ExportResult]:
    watermark = repo.handoff_watermark(conn)
    targets = [c for c in consumers.active(conn) if consumer is None or c.name == consumer]
    conn.commit()
    results = []
    for target in targets:
        batch = claim_export_batch(app, conn, target, watermark, max_cards)
        if batch is None:
            continue
        check_lease()
        written = write_export_batch(app, conn, batch)
        check_lease()
        delivery_id = publish_export_batch(conn, batch, written, target.transport)
        results.append(_result(app, batch, written, delivery_id))
    return results


def _result(app: App, batch: repo.ExportBatch, written: WrittenBundle,
            delivery_id: int) -> ExportResult:
    if written.rejected:
        log.warning("export left out invalid cards", extra={
            "batch_id": batch.id, "card_ids": [card_id for card_id, _ in written.rejected][:50],
            "cards_rejected": len(written.rejected)})
    log.info("export published", extra={
        "batch_id": batch.id, "consumer": batch.consumer, "resumed": batch.resumed,
        "record_count": written.manifest.record_count,
        "withdrawal_count": batch.withdrawal_count,
        "manifest_sha256": written.manifest_sha256})
    return ExportResult(
        batch_id=batch.id, consumer=batch.consumer, sequence=batch.sequence,
        record_count=written.manifest.record_count, withdrawal_count=batch.withdrawal_count,
        manifest_key=batch.manifest_key, manifest_url=app.store.url(batch.manifest_key),
        manifest_sha256=written.manifest_sha256, delivery_id=delivery_id,
        counts_by_execution_label=dict(written.manifest.counts_by_execution_label),
        resumed=batch.resumed)


def _finish_job(conn: repo.Conn, job: Job | None) -> None:
    if job is not None:
        queue.complete(conn, job)
    if repo.has_ready_cards(conn):
        queue.enqueue(conn, "export", {}, queueing_lock="export")
