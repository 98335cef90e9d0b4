"""Export step: package ready lead cards into a Lead Card Batch v1 and hand it off as files.

Three phases, each safe to kill:
1. claim   — ready cards get a new batch id; the batch row is committed as 'writing';
2. write   — `lead_cards.jsonl.gz` (streamed to a temp file) and `manifest.json` go to
             `exports/<env>/<yyyy>/<mm>/<dd>/<batch_id>/`, then `exports/<env>/index.json`;
3. publish — one transaction marks the cards exported, the batch published, writes the
             audit `handoff` event with the manifest sha256 and completes the job.
A rerun first finishes any 'writing' batch with the same id and cards; the bundle bytes are
deterministic (record order, gzip mtime 0, manifest time = batch creation), so a rewrite is
identical. With no ready cards nothing is written.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sxp.adapters.bundle_files import WrittenBundle, write_bundle
from sxp.adapters.postgres import exports as repo
from sxp.adapters.postgres import queue
from sxp.adapters.postgres.audit import record_event
from sxp.adapters.postgres.queue import Job
from sxp.bootstrap import App
from sxp.domain.bundle import ExportIndex, IndexEntry, merge_index
from sxp.logs import get_logger
from sxp.pipeline.jobs import check_lease

log = get_logger("export")

DEFAULT_MAX_CARDS = 10_000


@dataclass(frozen=True)
class ExportResult:
    batch_id: str
    record_count: int
    manifest_key: str
    manifest_url: str
    manifest_sha256: str
    index_key: str
    counts_by_execution_label: dict[str, int]
    resumed: bool


def export(app: App, *, max_cards: int = DEFAULT_MAX_CARDS) -> ExportResult | None:
    """Export now: finish an unfinished batch, or export up to `max_cards` ready cards."""
    return _export(app, job=None, max_cards=max_cards)


def run_job(app: App, job: Job) -> None:
    """`export {}`: one batch per job; another job is queued while ready cards remain."""
    _export(app, job=job, max_cards=DEFAULT_MAX_CARDS)


def index_key(app: App) -> str:
    return f"{app.settings.exports_prefix}{app.settings.env}/index.json"


def batch_folder(app: App, batch_id: str, created_at: datetime) -> str:
    day = created_at.astimezone(UTC)
    return (f"{app.settings.exports_prefix}{app.settings.env}/"
            f"{day:%Y}/{day:%m}/{day:%d}/{batch_id}/")


def new_batch_id(now: datetime) -> str:
    return f"xb-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def claim_export_batch(app: App, conn: repo.Conn,
                       max_cards: int = DEFAULT_MAX_CARDS) -> repo.ExportBatch | None:
    """Phase 1: the unfinished 'writing' batch if any, else a newly claimed one (committed)."""
    batch = repo.unfinished_batch(conn, app.settings.env)
    conn.commit()
    if batch is not None:
        return batch
    now = datetime.now(UTC)
    batch_id = new_batch_id(now)
    manifest_key = batch_folder(app, batch_id, now) + "manifest.json"
    return repo.claim_batch(conn, batch_id=batch_id, env=app.settings.env,
                            manifest_key=manifest_key, created_at=now, max_cards=max_cards)


def write_export_batch(app: App, conn: repo.Conn,
                       batch: repo.ExportBatch) -> WrittenBundle:
    """Phase 2: write records, manifest and the updated index to the object store."""
    folder = batch.manifest_key.rsplit("/", 1)[0] + "/"
    rejected: list[tuple[int, str]] = []
    records = repo.iter_batch_records(conn, batch.id, rejected)
    written = write_bundle(app.store, records, rejected=rejected, batch_id=batch.id,
                           env=batch.env, created_at=batch.created_at, folder=folder,
                           gzip_records=app.settings.export_gzip)
    conn.commit()
    entry = IndexEntry(batch_id=batch.id, key=batch.manifest_key, sha256=written.manifest_sha256,
                       record_count=written.manifest.record_count, created_at=batch.created_at)
    published = repo.published_entries(conn, batch.env)
    conn.commit()
    index = merge_index(batch.env, _read_index(app), published + [entry], datetime.now(UTC))
    app.store.put_bytes(index_key(app), index.model_dump_json(indent=2).encode(),
                        content_type="application/json")
    return written


def publish_export_batch(conn: repo.Conn, batch: repo.ExportBatch,
                         written: WrittenBundle, job: Job | None = None) -> None:
    """Phase 3: one transaction marks cards and batch, audits the handoff, completes the job."""
    manifest = written.manifest
    with conn.transaction():
        repo.publish_batch(conn, batch, manifest_sha256=written.manifest_sha256,
                           files=[f.model_dump(mode="json") for f in manifest.files],
                           counts=manifest.counts_by_execution_label,
                           record_count=manifest.record_count, rejected=written.rejected)
        record_event(conn, event_type="handoff", actor="sxp-export", service="export",
                     batch_id=batch.id, outcome="ok", checksum=written.manifest_sha256,
                     details={"record_count": manifest.record_count,
                              "manifest_key": batch.manifest_key, "transport": "file",
                              **({"cards_rejected": len(written.rejected)}
                                 if written.rejected else {})})
        _finish_job(conn, job)


def _export(app: App, *, job: Job | None, max_cards: int) -> ExportResult | None:
    with app.connect() as lock_conn, repo.one_exporter(lock_conn), app.connect() as conn:
        return _export_locked(app, conn, job=job, max_cards=max_cards)


def _export_locked(app: App, conn: repo.Conn, *, job: Job | None,
                   max_cards: int) -> ExportResult | None:
    batch = claim_export_batch(app, conn, max_cards)
    if batch is None:
        with conn.transaction():
            _finish_job(conn, job)
        log.info("export: no ready cards", extra={"env": app.settings.env})
        return None
    resumed = batch.resumed
    check_lease()
    written = write_export_batch(app, conn, batch)
    check_lease()
    publish_export_batch(conn, batch, written, job)
    if written.rejected:
        log.warning("export left out invalid cards", extra={
            "batch_id": batch.id, "card_ids": [card_id for card_id, _ in written.rejected][:50],
            "cards_rejected": len(written.rejected)})
    log.info("export published", extra={"batch_id": batch.id, "resumed": resumed,
                                        "record_count": written.manifest.record_count,
                                        "manifest_sha256": written.manifest_sha256})
    return ExportResult(
        batch_id=batch.id, record_count=written.manifest.record_count,
        manifest_key=batch.manifest_key, manifest_url=app.store.url(batch.manifest_key),
        manifest_sha256=written.manifest_sha256, index_key=index_key(app),
        counts_by_execution_label=dict(written.manifest.counts_by_execution_label),
        resumed=resumed)


def _finish_job(conn: repo.Conn, job: Job | None) -> None:
    if job is not None:
        queue.complete(conn, job)
    if repo.has_ready_cards(conn):
        queue.enqueue(conn, "export", {}, queueing_lock="export")


def _read_index(app: App) -> list[IndexEntry]:
    key = index_key(app)
    if app.store.head(key) is None:
        return []
    try:
        return ExportIndex.model_validate_json(app.store.get_bytes(key)).manifests
    except ValueError:
        log.warning("export index unreadable; rebuilding it from the database",
                    extra={"key": key})
        return []
