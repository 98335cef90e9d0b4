"""DNC staleness: phones whose do-not-call status is older than the rules file's limit are
handed over flagged `dnc_stale` (`dnc.jsonl`), and the gate looks such cards up again: a new
provider call, not the stored answer, after which the card's phones are fresh."""

from __future__ import annotations

from typing import Any

import orjson

from sxp.bootstrap import App
from sxp.domain.handoff import DncStatus
from sxp.pipeline import export as export_step
from sxp.pipeline.run import run_pipeline

ROW = {"platform": "tiktok", "handle": "dana_homes", "display_name": "Dana Keller",
       "followers": 2400, "following": 30, "posts": 410, "likes": 12000,
       "bio": "Realtor | homes in Denver", "location": "Denver, CO",
       "scraped_at": "2026-11-01T10:00:00Z", "account_created_at": "2019-05-01T00:00:00Z"}


def _dnc_lines(app: App, result: export_step.ExportResult) -> list[DncStatus]:
    key = result.manifest_key.removesuffix("manifest.json") + "dnc.jsonl"
    return [DncStatus.model_validate_json(line) for line in app.store.get_bytes(key).splitlines()]


def _card(app: App) -> dict[str, Any]:
    with app.connect() as conn:
        row = conn.execute("SELECT id, enrich_state, phones_checked_at, dnc_rechecks, version,"
                           " lookup_inputs FROM execution.lead_cards").fetchone()
    assert row is not None
    return dict(row)


def test_stale_dnc_is_flagged_then_rechecked_with_a_new_call(app: App) -> None:
    app.store.put_bytes("inbox/a.jsonl", orjson.dumps(ROW) + b"\n")
    run_pipeline(app, max_idle_wait_s=5)
    card = _card(app)
    assert card["enrich_state"] == "enriched" and card["phones_checked_at"] is not None
    with app.connect() as conn:  # the answer is 40 days old now; a relabel makes a new version
        conn.execute("UPDATE contact.contacts SET fetched_at = fetched_at - interval '40 days'")
        conn.execute("UPDATE execution.lead_cards SET phones_checked_at = phones_checked_at"
                     " - interval '40 days', enriched_at = enriched_at - interval '40 days'")
        calls_before = conn.execute("SELECT count(*) AS n FROM contact.provider_calls"
                                    ).fetchone()["n"]
        conn.commit()
    (stale_batch,) = export_step.export(app)
    stale = _dnc_lines(app, stale_batch)
    assert stale and all(d.dnc_stale for d in stale)

    run_pipeline(app, max_idle_wait_s=5)  # the gate re-checks; a fresh lookup; a new version
    after = _card(app)
    with app.connect() as conn:
        calls_after = conn.execute("SELECT count(*) AS n FROM contact.provider_calls"
                                   ).fetchone()["n"]
    assert after["dnc_rechecks"] == 1 and after["lookup_inputs"]["recheck"] == 1
    assert calls_after == calls_before + 1  # not the stored answer
    assert after["enrich_state"] == "enriched" and after["version"] > card["version"]
    with app.connect() as conn:
        keys = [r["manifest_key"] for r in conn.execute(
            "SELECT manifest_key FROM execution.export_batches ORDER BY sequence DESC LIMIT 1")]
    fresh = [DncStatus.model_validate_json(line) for line in app.store.get_bytes(
        keys[0].removesuffix("manifest.json") + "dnc.jsonl").splitlines()]
    assert fresh and not any(d.dnc_stale for d in fresh)
    run_pipeline(app, max_idle_wait_s=5)
    assert _card(app)["dnc_rechecks"] == 1  # fresh now: no further re-check
