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


def test_gate_dry_run_per_provider_budgets_then_status(cli: Any, app: App) -> None:
    _seed(app, 120)  # every card: a name, a US city and a company link
    cli.env["SXP_ENRICH_PROVIDER"] = "skiptrace,apollo"
    cli.env["SXP_PROVIDER_BUDGETS"] = json.dumps({
        "skiptrace": {"per_day": 5000, "per_run": 1000, "prices": {"skip_trace": 1}},
        "apollo": {"per_day": 2000, "per_run": 100,
                   "prices": {"people_match": 1, "organization_enrich": 2}}})
    dry = json.loads(cli.sxp("gate", "--dry-run").stdout)
    assert dry["cards_queued"] == 50 and dry["out_of_budget"] == 70  # Apollo: 100 at 2
    assert dry["spend_by_provider"] == {
        "skiptrace": {"cards": 50, "calls": 1, "credits": 50, "available": 1000},
        "apollo": {"cards": 50, "calls": 10, "credits": 100, "available": 100}}
    assert _counts(app) == {"batches": 0, "ledger": 0, "queued": 0}
    real = json.loads(cli.sxp("gate").stdout)
    assert real["credits_reserved"] == 150
    assert _counts(app) == {"batches": 1, "ledger": 2, "queued": 50}  # a row per provider
    status = cli.sxp("status").stdout
    assert ("budget apollo today: reserved=100, spent=0, released=0, held=100,"
            " remaining=1900 of 2000/day (per run 100)") in status
    assert "budget skiptrace today: reserved=50," in status
