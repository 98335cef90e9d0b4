"""`sxp gate --dry-run` shows what would be enriched and its cost, and writes nothing."""

from __future__ import annotations

import json
from typing import Any

from sxp.bootstrap import App
from sxp.pipeline.cards import build_cards
from sxp.pipeline.label import label_cards


def _seed(app: App, n: int) -> None:
    with app.connect() as conn, conn.transaction():
        conn.execute(
            "INSERT INTO social.raw_social_profiles (platform, handle, display_name, bio,"
            " bio_url, location, followers, posts, likes, account_created_at, scraped_at,"
            " content_hash)"
            " SELECT 'tiktok', 'gate_cli_' || g, 'Casey Samplewood', 'Realtor in Austin',"
            " 'https://casey-homes.example.com', 'Austin, TX', 800, 120, 9000,"
            " now() - interval '800 days', now(), 'h' || g FROM generate_series(1, %s) g", (n,))
    build_cards(app)
    label_cards(app)


def _counts(app: App) -> dict[str, Any]:
    with app.connect() as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM execution.enrichment_batches) AS batches,"
            " (SELECT count(*) FROM execution.credit_ledger) AS ledger,"
            " (SELECT count(*) FROM execution.lead_cards WHERE enrich_state = 'queued') AS queued"
        ).fetchone()
    assert row is not None
    return dict(row)


def test_gate_dry_run_then_gate(cli: Any, app: App) -> None:
    _seed(app, 300)
    cli.env["SXP_CREDIT_BUDGET_PER_RUN"] = "260"
    dry = json.loads(cli.sxp("gate", "--dry-run").stdout)
    assert dry["dry_run"] is True and dry["eligible"] == 300
    assert dry["cards_queued"] == 260 and dry["credits_reserved"] == 260
    assert dry["batch_sizes"] == [250, 10] and dry["out_of_budget"] == 40
    assert dry["cost_by_provider"]["skiptrace"]["credits"] == 260
    assert _counts(app) == {"batches": 0, "ledger": 0, "queued": 0}
    real = json.loads(cli.sxp("gate").stdout)
    assert real["dry_run"] is False and len(real["batch_ids"]) == 2
    assert _counts(app) == {"batches": 2, "ledger": 2, "queued": 260}
