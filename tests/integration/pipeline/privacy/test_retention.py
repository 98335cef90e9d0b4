"""Retention on moto S3 and the local folder store: what is older than its kind's period goes,
nothing else; stored provider answers are cleared; the bucket's lifecycle rules read back
with the same periods; a second pass removes nothing more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from psycopg.types.json import Jsonb

from sxp.bootstrap import bootstrap
from sxp.pipeline.retention import run_retention

DAYS = {"inbox": 5, "staged": 3, "rejects": 10, "exports": 20, "provider_answers": 4}
KEYS = ("inbox/a.jsonl", "stage/file-00000001/normalized/part-00000.jsonl",
        "stage/file-00000001/cards/part-00000.jsonl.gz",
        "stage/file-00000001/rejects/part-00000.jsonl",
        "exports/test/default/2026/12/02/xb-1/manifest.json", "elsewhere/keep.txt")


@pytest.mark.parametrize("store", ["s3", "local"])
def test_retention_removes_what_is_old_and_nothing_else(settings: Any, store: str) -> None:
    updates: dict[str, Any] = {"retention_overrides": DAYS}
    if store == "local":
        updates["spaces_endpoint"] = None
    app = bootstrap(settings.model_copy(update=updates))
    try:
        for key in KEYS:
            app.store.put_bytes(key, b"{}\n")
        with app.connect() as conn:
            conn.execute("INSERT INTO contact.provider_calls (provider, request_hash, batch_id,"
                         " card_ids, outcome, response) VALUES ('apollo', 'r1', 'b', '{}',"
                         " 'ok', %s)", (Jsonb({"results": []}),))
            conn.commit()
        later = datetime.now(UTC) + timedelta(days=6)
        dry = run_retention(app, now=later, dry_run=True)
        assert dry.removed == {"inbox": 1, "staged": 2, "rejects": 0, "exports": 0}
        assert {o.key for o in app.store.list("")} == set(KEYS)  # a dry run removes nothing

        report = run_retention(app, now=later)
        assert report.removed == {"inbox": 1, "staged": 2, "rejects": 0, "exports": 0}
        assert report.answers_cleared == 1
        assert {o.key for o in app.store.list("")} == {KEYS[3], KEYS[4], KEYS[5]}
        with app.connect() as conn:
            row = conn.execute("SELECT response FROM contact.provider_calls").fetchone()
            events = conn.execute("SELECT details FROM audit.audit_log"
                                  " WHERE event_type = 'retention'").fetchall()
        assert row["response"] is None and len(events) == 1
        rules = {r.prefix: r.days for r in app.store.expiration_rules()}
        assert rules == ({"inbox/": 5, "stage/": 10, "exports/": 20} if store == "s3" else {})

        again = run_retention(app, now=later)
        assert again.removed == {"inbox": 0, "staged": 0, "rejects": 0, "exports": 0}
        assert again.answers_cleared == 0
    finally:
        app.close()


def test_pruning_old_audit_rows_keeps_the_chain_verifiable(app: Any) -> None:
    from sxp.adapters.postgres.audit import record_event, verify_chain

    with app.connect() as conn:
        for n in range(5):
            record_event(conn, event_type="test", actor="t", service="t", batch_id=f"b{n}",
                         outcome="ok", details={"n": n})
        conn.commit()
        # as the owner, with the append-only guard off for a moment: three rows made old
        conn.execute("ALTER TABLE audit.audit_log DISABLE TRIGGER audit_log_no_update")
        conn.execute("UPDATE audit.audit_log SET occurred_at = now() - interval '400 days'"
                     " WHERE batch_id IN ('b0', 'b1', 'b2')")
        conn.execute("ALTER TABLE audit.audit_log ENABLE TRIGGER audit_log_no_update")
        conn.commit()
    worker = bootstrap(app.settings.model_copy(update={"db_role": "sxp_worker_svc"}))
    try:
        report = run_retention(worker)
    finally:
        worker.close()
    assert report.audit_rows_pruned == 3
    with app.connect() as conn:
        left = [r["batch_id"] for r in conn.execute(
            "SELECT batch_id FROM audit.audit_log ORDER BY id")]
        chain = verify_chain(conn)
        with pytest.raises(Exception, match="append-only"):
            conn.execute("DELETE FROM audit.audit_log")
        conn.rollback()
        with pytest.raises(Exception, match="younger than 30 days"):
            conn.execute("SELECT audit.prune_before(now())")
    assert left[:2] == ["b3", "b4"] and left[2].startswith("retention-")
    assert chain.first_bad is None and chain.rows == 3
