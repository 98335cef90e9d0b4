"""Export on real Postgres + moto S3: bundle, manifest, sidecars, index, marks, audit, reruns,
crash; the embedded default consumer (`default`, file transport) receives every batch."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from sxp.adapters.postgres import consumers, queue
from sxp.adapters.postgres import exports as exports_repo
from sxp.bootstrap import App
from sxp.domain.bundle import LeadCardRecord, Manifest
from sxp.domain.handoff import CardVersion, DayIndex, DncStatus, HandoffInfo, IndexHead
from sxp.pipeline import export as export_step
from sxp.pipeline.runner import drain

Seed = Callable[..., list[int]]
HEAD = "exports/test/default/head.json"
# the cards a published batch gave its consumer as records
RECORDED_SQL = ("SELECT bc.card_id AS id FROM execution.batch_cards bc"
                " JOIN execution.export_batches b ON b.id = bc.batch_id WHERE bc.batch_id = %s"
                " AND bc.action = 'record' AND b.state = 'published' ORDER BY bc.card_id")


def _export_one(app: App) -> export_step.ExportResult | None:
    """The default consumer's batch of one export call (None: nothing for it)."""
    results = export_step.export(app)
    assert len(results) <= 1
    return results[0] if results else None


def folder_of(result: export_step.ExportResult) -> str:
    return result.manifest_key.removesuffix("manifest.json")


def _head(app: App) -> IndexHead:
    return IndexHead.model_validate_json(app.store.get_bytes(HEAD))


def _seed_mix(seed: Seed) -> list[int]:
    ready = seed(2, 0) + seed(1, 2, with_contact=True)
    ready += seed(1, 3, enrich_state="not_found") + seed(1, 4, enrich_state="ineligible",
                                                         execution_label="export_only")
    seed(1, 5, enrich_state="queued")
    seed(1, 6, labeled=False)
    return ready


def _objects(app: App) -> dict[str, str]:
    return {o.key: o.etag for o in app.store.list("exports/")}


def test_export_writes_bundle_index_marks_cards_and_audits(
        app: App, seed: Seed, canaries: tuple[str, str]) -> None:
    canary_email, canary_phone = canaries
    ready = _seed_mix(seed)
    result = _export_one(app)
    assert result is not None and result.record_count == 5 and not result.resumed
    assert result.consumer == "default" and result.sequence == 1
    assert result.manifest_key.startswith("exports/test/default/2")
    assert result.manifest_key.endswith(f"/{result.batch_id}/manifest.json")

    body = app.store.get_bytes(result.manifest_key)
    assert hashlib.sha256(body).hexdigest() == result.manifest_sha256
    manifest = Manifest.model_validate_json(body)
    assert manifest.schema_version == "lead_card_batch.v1" and manifest.env == "test"
    assert manifest.counts_by_execution_label == {"enrich_now": 4, "export_only": 1}
    assert manifest.counts_by_enrichment_status == {"enriched": 3, "ineligible": 1,
                                                    "not_found": 1}
    entry, versions_file, dnc_file, handoff_file = manifest.files
    assert (versions_file.path, dnc_file.path, handoff_file.path) == (
        "versions.jsonl", "dnc.jsonl", "handoff.json")
    (dnc,) = [DncStatus.model_validate_json(line) for line in
              app.store.get_bytes(folder_of(result) + "dnc.jsonl").splitlines()]
    assert (dnc.card_id, dnc.phone_index, dnc.dnc) == (ready[2], 0, True)
    assert dnc.dnc_checked_at is not None  # when the seeded contact was fetched
    stale = dnc.dnc_checked_at < manifest.created_at - timedelta(days=31)
    assert dnc.dnc_stale is stale
    folder = result.manifest_key.removesuffix("manifest.json")
    versions = [CardVersion.model_validate_json(line) for line in
                app.store.get_bytes(folder + "versions.jsonl").splitlines()]
    assert [(v.card_id, v.version, v.action) for v in versions] == [
        (card_id, 1, "record") for card_id in ready]
    info = HandoffInfo.model_validate_json(app.store.get_bytes(folder + "handoff.json"))
    assert (info.consumer, info.sequence, info.previous_batch_id, info.record_count) == (
        "default", 1, None, 5)
    data = app.store.get_bytes(folder + entry.path)
    assert hashlib.sha256(data).hexdigest() == entry.sha256 and len(data) == entry.size_bytes
    lines = gzip.decompress(data).splitlines()
    records = [LeadCardRecord.model_validate_json(line) for line in lines]
    assert [r.card_id for r in records] == ready
    with_contact = records[2]
    assert with_contact.contact is not None and with_contact.contact.emails == [canary_email]
    assert with_contact.contact.phones[0].number == canary_phone
    assert with_contact.contact.phones[0].dnc is True and with_contact.dnc is True
    assert with_contact.business is not None and with_contact.business.name
    assert with_contact.provenance.contact_providers == ["apollo", "skiptrace"]
    assert records[4].enrichment.status == "ineligible" and records[4].contact is None

    assert app.store.head(HEAD) is None  # the index is the file transport's delivery
    assert drain(app, max_idle_wait_s=1).by_kind == {"deliver": 1}
    head = _head(app)
    assert [(e.batch_id, e.key, e.sha256, e.record_count) for e in head.latest] == [
        (result.batch_id, result.manifest_key, result.manifest_sha256, 5)]
    (day,) = head.days
    day_index = DayIndex.model_validate_json(app.store.get_bytes(
        f"exports/test/default/index/{day.replace('-', '/')}.json"))
    assert day_index.manifests == head.latest

    with app.connect() as conn:
        marked = conn.execute(RECORDED_SQL, (result.batch_id,)).fetchall()
        batch = conn.execute("SELECT * FROM execution.export_batches").fetchall()
        audit = conn.execute("SELECT * FROM audit.audit_log ORDER BY id").fetchall()
        delivery = conn.execute("SELECT * FROM execution.deliveries").fetchall()
    assert [r["id"] for r in marked] == ready
    assert len(batch) == 1 and batch[0]["state"] == "published"
    assert batch[0]["manifest_sha256"] == result.manifest_sha256
    assert [(d["batch_id"], d["state"], d["attempts"]) for d in delivery] == [
        (result.batch_id, "delivered", 1)]
    event, attempt = audit
    assert (event["event_type"], event["actor"], event["service"], event["outcome"]) == (
        "handoff", "sxp-export", "export", "ok")
    assert event["batch_id"] == result.batch_id
    assert event["checksum"] == result.manifest_sha256
    assert event["details"] == {"record_count": 5, "manifest_key": result.manifest_key,
                                "transport": "file", "consumer": "default", "sequence": 1,
                                "withdrawal_count": 0, "delivery_id": result.delivery_id}
    assert (attempt["event_type"], attempt["outcome"], attempt["checksum"]) == (
        "delivery", "delivered", result.manifest_sha256)
    assert attempt["details"]["attempt"] == 1 and attempt["details"]["status_code"] == 200
    row_text = json.dumps(audit, default=str)
    for canary in (canary_email, canary_phone, "Avery", "Testperson"):
        assert canary not in row_text


def test_second_export_writes_nothing(app: App, seed: Seed) -> None:
    seed(3)
    assert _export_one(app) is not None
    before = _objects(app)
    assert _export_one(app) is None
    assert _objects(app) == before
    with app.connect() as conn:
        row = conn.execute("SELECT count(*) AS n FROM execution.export_batches").fetchone()
    assert row is not None and row["n"] == 1


def test_export_with_no_ready_cards_writes_nothing(app: App, seed: Seed) -> None:
    seed(2, enrich_state="queued")
    assert _export_one(app) is None
    assert _objects(app) == {}


def test_crash_after_writing_objects_is_finished_by_rerun(app: App, seed: Seed) -> None:
    ready = seed(4)
    with app.connect() as conn:
        default = consumers.by_name(conn, "default")
        assert default is not None
        watermark = exports_repo.handoff_watermark(conn)
        batch = export_step.claim_export_batch(app, conn, default, watermark)
        assert batch is not None
        written = export_step.write_export_batch(app, conn, batch)
    # the process dies here: objects written, nothing published
    seed(2, 10)  # new ready cards arrive meanwhile; they must not join the unfinished batch
    result = _export_one(app)
    assert result is not None and result.resumed and result.batch_id == batch.id
    assert result.manifest_sha256 == written.manifest_sha256
    assert result.record_count == 4
    with app.connect() as conn:
        rows = conn.execute(RECORDED_SQL, (batch.id,)).fetchall()
        audits = conn.execute("SELECT count(*) AS n FROM audit.audit_log").fetchone()
    assert [r["id"] for r in rows] == ready and audits is not None and audits["n"] == 1
    second = _export_one(app)
    assert second is not None and second.record_count == 2 and second.batch_id != batch.id
    drain(app, max_idle_wait_s=1)
    assert [(e.batch_id, e.sequence) for e in _head(app).latest] == [
        (batch.id, 1), (second.batch_id, 2)]
    assert _export_one(app) is None


def test_export_job_completes_and_requeues_while_cards_remain(app: App, seed: Seed,
                                                             monkeypatch) -> None:
    seed(5)
    monkeypatch.setattr(app.settings, "export_batch_cards", 2)
    with app.connect() as conn:
        queue.enqueue(conn, "export", {}, queueing_lock="export")
        conn.commit()
    result = drain(app, max_idle_wait_s=1)
    assert result.by_kind == {"export": 3, "deliver": 3} and result.dead == 0
    with app.connect() as conn:
        sizes = [r["card_count"] for r in conn.execute(
            "SELECT card_count FROM execution.export_batches ORDER BY created_at, id")]
        jobs = conn.execute("SELECT state, count(*) AS n FROM queue.jobs GROUP BY 1").fetchall()
    assert sorted(sizes) == [1, 2, 2]
    assert {r["state"]: r["n"] for r in jobs} == {"done": 6}


def test_two_exports_racing_export_each_card_once(app: App, seed: Seed) -> None:
    from concurrent.futures import ThreadPoolExecutor

    seed(6)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: export_step.export(app), range(2)))
    exported = [r for batch in results for r in batch]
    assert sum(r.record_count for r in exported) == 6
    with app.connect() as conn:
        rows = conn.execute(
            "SELECT count(DISTINCT bc.batch_id) AS batches, count(DISTINCT bc.card_id) AS cards"
            " FROM execution.batch_cards bc JOIN execution.export_batches b"
            " ON b.id = bc.batch_id WHERE bc.action = 'record' AND b.state = 'published'"
            ).fetchone()
    assert rows is not None and rows["cards"] == 6 and rows["batches"] == len(exported)


def test_a_card_with_invalid_data_is_left_out_with_its_reason(app: App, seed: Seed) -> None:
    from sxp.pipeline.verify import verify_bundle

    good = seed(2)
    (bad,) = seed(1, 2)
    with app.connect() as conn:
        conn.execute("UPDATE execution.lead_cards SET readiness_score = 1.5 WHERE id = %s", (bad,))
        conn.commit()
    result = _export_one(app)
    assert result is not None and result.record_count == 2
    assert verify_bundle(app, result.manifest_url).record_count == 2
    with app.connect() as conn:
        card = conn.execute("SELECT export_error, (SELECT count(*) FROM execution.batch_cards"
                            " WHERE card_id = %s) AS batches FROM execution.lead_cards"
                            " WHERE id = %s", (bad, bad)).fetchone()
        batch = conn.execute("SELECT card_count FROM execution.export_batches").fetchone()
        audit = conn.execute("SELECT details FROM audit.audit_log").fetchone()
        exported = conn.execute(
            "SELECT DISTINCT card_id AS id FROM execution.batch_cards WHERE action = 'record'"
            " ORDER BY card_id").fetchall()
    assert card is not None and card["batches"] == 0  # left out of the batch
    assert "readiness_score" in card["export_error"] and "1.5" not in card["export_error"]
    assert batch is not None and batch["card_count"] == 2
    assert audit is not None and audit["details"]["cards_rejected"] == 1
    assert [r["id"] for r in exported] == good
    assert _export_one(app) is None


def test_export_runs_under_the_export_role(app: App, seed: Seed) -> None:
    from sxp.bootstrap import bootstrap

    seed(1, with_contact=True)
    scoped = bootstrap(app.settings.model_copy(update={"db_role": "sxp_export"}))
    try:
        with scoped.connect() as conn:
            row = conn.execute("SELECT current_user AS who").fetchone()
        assert row is not None and row["who"] == "sxp_export"
        (result,) = export_step.export(scoped)
        assert result.record_count == 1
        assert drain(scoped, max_idle_wait_s=1).by_kind == {"deliver": 1}
    finally:
        scoped.close()
