"""A waterfall batch settles spend per provider at that provider's prices; status shows it."""

from __future__ import annotations

from sxp.bootstrap import bootstrap
from sxp.config import Settings
from sxp.domain.budget import ProviderBudget
from sxp.pipeline import enrich
from sxp.pipeline.status import collect_status
from sxp.sandbox import start_sandbox

from .enrich_fixtures import make_batch, synthetic_people

PRICES = {"apollo": {"people_match": 2, "organization_enrich": 3}, "skiptrace": {"skip_trace": 1}}
RESERVED = {"apollo": 75, "skiptrace": 25}  # 25 cards at the worst case of each


def test_waterfall_batch_settles_per_provider_at_its_prices(settings: Settings) -> None:
    skip, apollo = start_sandbox("skiptrace", match_rate=0.7), start_sandbox("apollo",
                                                                              match_rate=0.6)
    budgets = {p: ProviderBudget(per_day=1000, per_run=500, prices=prices)
               for p, prices in PRICES.items()}
    app = bootstrap(settings.model_copy(update={
        "skiptrace_base_url": skip.base_url, "apollo_base_url": apollo.base_url,
        "provider_budgets": budgets}))
    try:
        with app.connect() as conn:
            make_batch(conn, "eb-pp", synthetic_people(25), provider="apollo,skiptrace",
                       credits_reserved=sum(RESERVED.values()))
            with conn.transaction():  # the gate's shape: one reserve row per provider
                conn.execute("DELETE FROM execution.credit_ledger WHERE batch_id = 'eb-pp'")
                for name, credits in RESERVED.items():
                    conn.execute("INSERT INTO execution.credit_ledger (provider, batch_id, entry,"
                                 " credits) VALUES (%s, 'eb-pp', 'reserve', %s)", (name, credits))
        summary = enrich.enrich_batch(app, "eb-pp")
        with app.connect() as conn:
            ledger = {(r["provider"], r["entry"]): r["credits"] for r in conn.execute(
                "SELECT provider, entry, credits FROM execution.credit_ledger"
                " WHERE batch_id = 'eb-pp'")}
            units = conn.execute(
                "SELECT coalesce(sum((response->'billed'->>'people_match')::int), 0) AS people,"
                " coalesce(sum((response->'billed'->>'organization_enrich')::int), 0) AS orgs"
                " FROM contact.provider_calls WHERE provider = 'apollo'").fetchone()
        # the emulators' own count of what they charged, priced per call type
        assert units["people"] + units["orgs"] == apollo.credits_charged > 0
        apollo_spent = units["people"] * 2 + units["orgs"] * 3
        assert ledger[("apollo", "spend")] == apollo_spent
        assert ledger[("apollo", "release")] == RESERVED["apollo"] - apollo_spent
        assert ledger[("skiptrace", "spend")] == skip.credits_charged > 0
        assert ledger[("skiptrace", "release")] == RESERVED["skiptrace"] - skip.credits_charged
        assert len(ledger) == 6  # reserve, spend, release per provider
        assert summary.credits_spent == apollo_spent + skip.credits_charged
        # settling again (a rerun of the job) writes nothing new
        enrich.enrich_batch(app, "eb-pp")
        with app.connect() as conn:
            rows = conn.execute("SELECT count(*) AS n FROM execution.credit_ledger").fetchone()
        assert rows["n"] == 6
        view = collect_status(app)["budgets"]
        assert view["apollo"] == {
            "reserved": 75, "spent": apollo_spent, "released": 75 - apollo_spent, "held": 0,
            "per_day": 1000, "per_run": 500, "remaining_today": 1000 - apollo_spent}
        assert view["skiptrace"]["remaining_today"] == 1000 - skip.credits_charged
    finally:
        app.close()
        skip.close()
        apollo.close()
