"""Erasure end to end on real parts: a subject found by e-mail is removed from Tier 1, 2, 3,
the provider answers and every staged object; each consumer that was given its card gets an
`erased` tombstone through its own transport (file and a signed webhook); nothing of the
subject reaches the audit log; a rerun and a repeated request change nothing."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from psycopg.types.json import Jsonb

from sxp.adapters.postgres.audit import verify_chain
from sxp.bootstrap import App, bootstrap
from sxp.domain.handoff import CardVersion
from sxp.pipeline import consumers as use
from sxp.pipeline.erase import erase, request_erasure
from sxp.pipeline.run import run_pipeline
from sxp.pipeline.runner import drain
from sxp.pipeline.scan import scan

from ..export.webhook_receiver import receiving

HANDLE = "dana_homes"
EMAIL = "dana.canary.5e1f@example.com"
ROW = {"platform": "tiktok", "display_name": "Dana Keller", "followers": 2400, "following": 30,
       "posts": 410, "likes": 12000, "bio": "Realtor | homes in Denver", "location": "Denver, CO",
       "scraped_at": "2026-11-01T10:00:00Z", "account_created_at": "2019-05-01T00:00:00Z"}


@pytest.fixture
def hook_app(settings: Any) -> Iterator[App]:
    app = bootstrap(settings.model_copy(update={"webhook_allow_private": True}))
    yield app
    app.close()


def _staged_text(app: App) -> bytes:
    out = []
    for obj in app.store.list("stage/"):
        body = app.store.get_bytes(obj.key)
        out.append(gzip.decompress(body) if obj.key.endswith(".gz") else body)
    return b"\n".join(out)


def _plant_contact(app: App, card_id: int) -> None:
    with app.connect() as conn:
        call = conn.execute(
            "INSERT INTO contact.provider_calls (provider, request_hash, batch_id, card_ids,"
            " outcome, response) VALUES ('apollo', 'erase-test', 'b0', %s, 'ok', %s)"
            " RETURNING id", ([card_id, 999_999], Jsonb({"results": [
                {"card_id": card_id, "matched": True, "person": {"emails": [EMAIL]}},
                {"card_id": 999_999, "matched": False}]}))).fetchone()
        conn.execute(
            "INSERT INTO contact.contacts (card_id, provider, call_id, fetched_at, first_name,"
            " last_name, emails, phones) VALUES (%s, 'apollo', %s, now(), 'Dana', 'Keller', %s,"
            " %s)", (card_id, call["id"], Jsonb([EMAIL]), Jsonb([{"number": "+15550104242"}])))
        conn.commit()


def test_an_erased_subject_leaves_every_tier_and_object_and_every_consumer_is_told(
        hook_app: App) -> None:
    app = hook_app
    with receiving() as rx:
        rx.secrets.append(use.add_consumer(app, name="hooky", transport="webhook",
                                           settings={"url": rx.url}).signing_secret or "")
        rows = [{**ROW, "handle": HANDLE}, {**ROW, "handle": "someone_else"},
                {"platform": "tiktok", "bio": f"best agent ever, ask @{HANDLE}"}]  # rejected
        app.store.put_bytes("inbox/pool.jsonl", b"".join(orjson.dumps(r) + b"\n" for r in rows))
        run_pipeline(app, max_idle_wait_s=5)
        with app.connect() as conn:
            card = conn.execute("SELECT id, version FROM execution.lead_cards WHERE handle = %s",
                                (HANDLE,)).fetchone()
        assert card is not None and HANDLE.encode() in _staged_text(app)
        _plant_contact(app, card["id"])
        assert len(rx.received) == 1  # the first batch

        requested = request_erasure(app, kind="email", value=EMAIL.upper(), requested_by="test")
        assert requested.card_ids == [card["id"]] and requested.match_handles == [
            f"tiktok:{HANDLE}"]
        worker = bootstrap(app.settings.model_copy(update={"db_role": "sxp_worker_svc"}))
        try:
            drain(worker, kinds=["erase", "export", "deliver"], max_idle_wait_s=5)
        finally:
            worker.close()
        report = erase(app, requested.id)  # again: done, nothing more
    assert report.state == "done"
    bundles = report.removed.pop("bundles_holding_subject")
    assert sorted(b["consumer"] for b in bundles) == ["default", "hooky"]
    # the sandbox's skip-trace answer and contact, and the planted Apollo ones
    assert report.removed == {"tombstones": 1, "tier2_contacts": 2, "tier2_businesses": 0,
                              "provider_answers": 2, "tier3_cards": 1, "tier1_profiles": 1,
                              "staged_objects_rewritten": 3, "staged_lines_removed": 3}

    with app.connect() as conn:
        left = conn.execute(
            "SELECT (SELECT count(*) FROM social.raw_social_profiles WHERE handle = %(h)s) AS t1,"
            " (SELECT count(*) FROM execution.lead_cards WHERE handle = %(h)s) AS t3,"
            " (SELECT count(*) FROM contact.contacts WHERE card_id = %(c)s) AS t2,"
            " (SELECT count(*) FROM social.raw_social_profiles) AS others,"
            " (SELECT string_agg(response::text, '') FROM contact.provider_calls) AS answer,"
            " (SELECT array_agg(c ORDER BY c) FROM contact.provider_calls, unnest(card_ids) c)"
            "  AS answer_cards,"
            " (SELECT match_handles FROM execution.erasures) AS handles",
            {"h": HANDLE, "c": card["id"]}).fetchone()
        audit = conn.execute("SELECT * FROM audit.audit_log ORDER BY id").fetchall()
        batches = conn.execute(
            "SELECT c.name, b.manifest_key, b.withdrawal_count FROM execution.export_batches b"
            " JOIN execution.consumers c ON c.id = b.consumer_id WHERE b.withdrawal_count > 0"
            " ORDER BY c.name").fetchall()
    assert (left["t1"], left["t3"], left["t2"], left["others"]) == (0, 0, 0, 1)
    assert EMAIL not in left["answer"] and card["id"] not in left["answer_cards"]
    assert 999_999 in left["answer_cards"]
    assert left["handles"] is None
    staged = _staged_text(app)
    assert HANDLE.encode() not in staged and b"someone_else" in staged
    assert [b["name"] for b in batches] == ["default", "hooky"]
    for batch in batches:
        key = batch["manifest_key"].removesuffix("manifest.json") + "versions.jsonl"
        (line,) = app.store.get_bytes(key).splitlines()
        tomb = CardVersion.model_validate_json(line)
        assert (tomb.card_id, tomb.action, tomb.reason, tomb.version) == (
            card["id"], "withdrawal", "erased", card["version"] + 1)
        assert tomb.erased_at is not None
    event = rx.received[-1]
    assert event.verified_by == [0] and event.body["data"]["withdrawal_count"] == 1
    text = orjson.dumps([dict(r) for r in audit], default=str).decode().lower()
    assert HANDLE not in text and EMAIL not in text and "keller" not in text
    assert any(r["event_type"] == "erasure" for r in audit)
    with app.connect() as conn:
        chain = verify_chain(conn)
    assert chain.first_bad is None and chain.rows == len(audit)

    again = request_erasure(app, kind="handle", value=f"TikTok:@{HANDLE.upper()}",
                            requested_by="test")
    assert again.card_ids == [] and erase(app, again.id).removed["tombstones"] == 0

    # kept deleted: the same pool delivered again (other bytes) does not bring the subject back
    app.store.put_bytes("inbox/pool-again.jsonl",
                        b"".join(orjson.dumps(r) + b"\n" for r in reversed(rows)))
    run_pipeline(app, max_idle_wait_s=5)
    with app.connect() as conn:
        back = conn.execute("SELECT count(*) AS n FROM social.raw_social_profiles"
                            " WHERE handle = %s", (HANDLE,)).fetchone()
        counts = conn.execute("SELECT rows_read, rows_loaded, rows_suppressed, rows_rejected"
                              " FROM social.source_files WHERE key = 'inbox/pool-again.jsonl'"
                              ).fetchone()
    assert back["n"] == 0
    assert dict(counts) == {"rows_read": 3, "rows_loaded": 0, "rows_suppressed": 1,
                            "rows_rejected": 1}
    # the subject's row is staged nowhere (the new reject is another row naming the handle)
    assert f'"handle":"{HANDLE}"'.encode() not in _staged_text(app)



def test_a_card_built_after_the_request_is_erased_with_its_profile(app: App) -> None:
    """The request finds the subject's profile before it has a card; the cards step builds
    one meanwhile. The erasure takes that card too (no Tier 1 row left for it to fail on,
    no card left without its profile)."""
    app.store.put_bytes("inbox/pool.jsonl", orjson.dumps({**ROW, "handle": HANDLE}) + b"\n")
    scan(app)
    drain(app, kinds=["ingest"], max_idle_wait_s=5)
    requested = request_erasure(app, kind="handle", value=f"tiktok:{HANDLE}",
                                requested_by="test")
    assert requested.card_ids == []
    drain(app, kinds=["cards"], max_idle_wait_s=5)
    report = erase(app, requested.id)
    assert report.state == "done" and report.cards == 1
    assert (report.removed["tier3_cards"], report.removed["tier1_profiles"]) == (1, 1)
    with app.connect() as conn:
        left = conn.execute("SELECT (SELECT count(*) FROM execution.lead_cards) AS cards,"
                            " (SELECT count(*) FROM social.raw_social_profiles) AS profiles"
                            ).fetchone()
    assert left == {"cards": 0, "profiles": 0}
