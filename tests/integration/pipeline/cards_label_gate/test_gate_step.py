from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from sxp.bootstrap import App, bootstrap
from sxp.config import Settings
from sxp.pipeline.cards import build_cards
from sxp.pipeline.gate import gate
from sxp.pipeline.label import label_cards

from ..concurrency import run_at_once
from .conftest import ProfileMaker


@pytest.fixture
def gate_app(settings: Settings) -> Iterator[Any]:
    """Build an App with budget settings of the test's choosing."""
    apps: list[App] = []

    def build(**updates: Any) -> App:
        made = bootstrap(settings.model_copy(update=updates))
        apps.append(made)
        return made

    yield build
    for made in apps:
        made.close()


def _prepare(app: App, make_profiles: ProfileMaker, n: int, **overrides: Any) -> None:
    make_profiles(n, **overrides)
    build_cards(app)
    label_cards(app)


def _one(app: App, sql: str) -> Any:
    with app.connect() as conn:
        row = conn.execute(sql).fetchone()
    assert row is not None
    return next(iter(row.values()))


def test_batches_of_at_most_250_with_reservations_and_jobs_in_one_transaction(
        app: App, make_profiles: ProfileMaker) -> None:
    _prepare(app, make_profiles, 600)
    result = gate(app)
    assert result.eligible == 600 and result.batch_sizes == [250, 250, 100]
    assert result.cards_queued == 600 and result.credits_reserved == 600
    assert all(re.fullmatch(r"eb-\d{8}-[0-9a-f]{8}", b) for b in result.batch_ids)
    with app.connect() as conn:
        batches = conn.execute("SELECT id, card_count, credits_reserved, state, provider"
                               " FROM execution.enrichment_batches ORDER BY card_count").fetchall()
        ledger = conn.execute("SELECT batch_id, entry, credits FROM execution.credit_ledger"
                              ).fetchall()
        jobs = conn.execute("SELECT kind, payload, queueing_lock FROM queue.jobs"
                            " WHERE kind IN ('enrich', 'export') ORDER BY id").fetchall()
        per_batch = conn.execute("SELECT enrichment_batch_id AS b, count(*) AS n FROM"
                                 " execution.lead_cards WHERE enrich_state = 'queued'"
                                 " GROUP BY 1").fetchall()
        # every row the gate wrote carries the same transaction id
        xids = conn.execute(
            "SELECT DISTINCT x FROM (SELECT xmin::text AS x FROM execution.enrichment_batches"
            " UNION ALL SELECT xmin::text FROM execution.credit_ledger"
            " UNION ALL SELECT xmin::text FROM queue.jobs WHERE kind IN ('enrich', 'export')"
            " UNION ALL SELECT xmin::text FROM execution.lead_cards"
            "  WHERE enrich_state = 'queued') t").fetchall()
    assert [b["card_count"] for b in batches] == [100, 250, 250]
    assert {b["state"] for b in batches} == {"reserved"}
    assert {b["provider"] for b in batches} == {"skiptrace"}
    assert sorted((r["batch_id"], r["credits"]) for r in ledger) == sorted(
        (b["id"], b["credits_reserved"]) for b in batches)
    assert {r["entry"] for r in ledger} == {"reserve"}
    enrich = [j for j in jobs if j["kind"] == "enrich"]
    assert sorted(j["payload"]["batch_id"] for j in enrich) == sorted(result.batch_ids)
    assert all(j["queueing_lock"] == f"enrich:{j['payload']['batch_id']}" for j in enrich)
    assert [j["queueing_lock"] for j in jobs if j["kind"] == "export"] == ["export"]
    assert {r["b"]: r["n"] for r in per_batch} == {b["id"]: b["card_count"] for b in batches}
    assert len(xids) == 1
    # nothing left to gate: a second gate forms no batch and spends nothing
    again = gate(app)
    assert again.batched == 0 and again.credits_reserved == 0


def test_budget_limits_batches_and_leaves_the_rest_new(gate_app: Any,
                                                      make_profiles: ProfileMaker) -> None:
    app = gate_app(credit_budget_per_run=300, credit_budget_per_day=450, credits_per_lookup=1)
    _prepare(app, make_profiles, 500)
    first = gate(app)
    assert first.batch_sizes == [250, 50] and first.credits_reserved == 300
    assert first.out_of_budget == 200 and first.credits_available == 300
    assert _one(app, "SELECT count(*) FROM execution.lead_cards WHERE enrich_state = 'new'"
                     " AND enrich_reason = 'budget_exhausted'") == 200
    second = gate(app)  # only 150 left of the day
    assert second.credits_reserved == 150 and second.out_of_budget == 50
    assert gate(app).credits_reserved == 0
    # a released reservation gives credits back to the day
    batch = first.batch_ids[1]
    with app.connect() as conn, conn.transaction():
        conn.execute("INSERT INTO execution.credit_ledger (provider, batch_id, entry, credits)"
                     " VALUES ('skiptrace', %s, 'release', 20)", (batch,))
    assert gate(app).cards_queued == 20
    assert _one(app, "SELECT sum(credits) FROM execution.credit_ledger WHERE entry = 'reserve'"
                ) == 470


def test_price_per_lookup_divides_the_budget(gate_app: Any, make_profiles: ProfileMaker) -> None:
    app = gate_app(credit_budget_per_run=100, credits_per_lookup=3, enrich_batch_size=10)
    _prepare(app, make_profiles, 50)
    result = gate(app)
    assert result.cards_queued == 33 and result.credits_reserved == 99
    assert result.batch_sizes == [10, 10, 10, 3]


def test_two_gates_racing_never_overspend(gate_app: Any, make_profiles: ProfileMaker) -> None:
    budget = 300
    apps = [gate_app(credit_budget_per_day=budget, credit_budget_per_run=10_000,
                     enrich_batch_size=100) for _ in range(2)]
    _prepare(apps[0], make_profiles, 800)
    results, errors = run_at_once(gate, apps)
    assert errors == []
    assert sorted(r.credits_reserved for r in results) == [0, budget]
    app = apps[0]
    assert _one(app, "SELECT sum(credits) FROM execution.credit_ledger") == budget
    assert _one(app, "SELECT count(*) FROM execution.lead_cards WHERE enrich_state = 'queued'"
                ) == budget
    assert _one(app, "SELECT sum(card_count) FROM execution.enrichment_batches") == budget


def test_dry_run_writes_nothing_and_reports_cost(gate_app: Any,
                                                 make_profiles: ProfileMaker) -> None:
    app = gate_app(credit_budget_per_run=120, credits_per_lookup=2)
    _prepare(app, make_profiles, 80)
    make_profiles(5, start=1000, location="Lisbon, Portugal")
    build_cards(app)
    label_cards(app)
    snapshot_sql = (
        "SELECT (SELECT count(*) FROM execution.enrichment_batches) AS batches,"
        " (SELECT count(*) FROM execution.credit_ledger) AS ledger,"
        " (SELECT count(*) FROM queue.jobs) AS jobs,"
        " (SELECT string_agg(id || enrich_state || coalesce(enrich_reason, '-'), ',' ORDER BY id)"
        "  FROM execution.lead_cards) AS cards")
    with app.connect() as conn:
        before = conn.execute(snapshot_sql).fetchone()
    result = gate(app, dry_run=True)
    with app.connect() as conn:
        after = conn.execute(snapshot_sql).fetchone()
    assert before == after
    assert result.dry_run and result.cards_queued == 60 and result.credits_reserved == 120
    assert result.batch_ids == [] and result.out_of_budget == 20
    # the 5 refused ones were decided as their cards were built: nothing left to refuse
    assert result.ineligible == {}
    assert _one(app, "SELECT count(*) FROM execution.lead_cards"
                     " WHERE enrich_state = 'ineligible'") == 5
    assert result.cost_by_provider["skiptrace"] == {"eligible": 80, "cards": 60, "batches": 1,
                                                    "credits": 120}
    assert "apollo" in result.cost_by_provider
    real = gate(app)
    assert (real.cards_queued, real.credits_reserved) == (60, 120)


def test_ineligible_cards_marked_with_reason(gate_app: Any, make_profiles: ProfileMaker) -> None:
    app = gate_app(enrich_provider="apollo")
    make_profiles(4)  # named, US, with a company link
    make_profiles(3, start=10, bio_url=None)  # named, US, no domain anywhere
    make_profiles(2, start=20, posts=0, followers=2)  # inactive -> hold
    build_cards(app)
    label_cards(app)
    result = gate(app)
    assert result.ineligible == {}  # decided as the cards were built, under the gate's basis
    assert result.cards_queued == 4
    with app.connect() as conn:
        reasons = conn.execute(
            "SELECT enrich_reason AS r, count(*) AS n FROM execution.lead_cards"
            " WHERE enrich_state = 'ineligible' GROUP BY 1").fetchall()
    assert {r["r"]: r["n"] for r in reasons} == {"no_domain": 3, "label_hold": 2}


def test_enriched_cards_are_never_gated_again(app: App, make_profiles: ProfileMaker) -> None:
    ids = make_profiles(3)
    build_cards(app)
    label_cards(app)
    gate(app)
    with app.connect() as conn, conn.transaction():
        conn.execute("UPDATE execution.lead_cards SET enrich_state = 'enriched'")
        conn.execute("UPDATE social.raw_social_profiles SET content_hash = 'v2',"
                     " bio = 'Content creator' WHERE id = %s", (ids[0],))
    build_cards(app)
    label_cards(app)
    assert gate(app).eligible == 0
    assert _one(app, "SELECT count(*) FROM execution.lead_cards WHERE enrich_state = 'enriched'"
                ) == 3


def test_waterfall_reserves_every_usable_provider(gate_app: Any,
                                                  make_profiles: ProfileMaker) -> None:
    app = gate_app(enrich_provider="skiptrace,apollo", credits_per_lookup=2)
    make_profiles(4)  # name, US city and a company link: both providers can look them up
    make_profiles(3, start=10, bio_url=None)  # no domain: skip trace only
    build_cards(app)
    label_cards(app)
    dry = gate(app, dry_run=True)
    assert set(dry.cost_by_provider) == {"skiptrace", "apollo", "skiptrace,apollo"}
    assert dry.cost_by_provider["skiptrace,apollo"]["credits"] == 22
    assert dry.cost_by_provider["apollo"]["cards"] == 4
    assert dry.cost_by_provider["skiptrace"]["credits"] == 14
    result = gate(app)
    assert result.cards_queued == 7 and result.credits_reserved == 4 * 4 + 3 * 2
    assert _one(app, "SELECT provider FROM execution.enrichment_batches") == "skiptrace,apollo"
    assert _one(app, "SELECT sum(credits) FROM execution.credit_ledger") == 22


def test_refused_card_is_reconsidered_after_a_new_ruleset(gate_app: Any, settings: Settings,
                                                          make_profiles: ProfileMaker,
                                                          tmp_path: Any) -> None:
    import json
    from importlib import resources

    app = gate_app()
    make_profiles(2, bio="Just vibes here")  # general audience -> export_only -> refused
    build_cards(app)
    label_cards(app)
    gate(app)
    assert _one(app, "SELECT string_agg(DISTINCT enrich_reason, ',') FROM execution.lead_cards"
                     " WHERE enrich_state = 'ineligible'") == "label_export_only"
    rules = json.loads(resources.files("sxp").joinpath("rules", "v1.json").read_text())
    rules["version"] = "2026.12-test"
    rules["rules"].append({"id": "exec.everyone_named_us", "priority": 45,
                           "when": {"field": "has_person_name", "op": "eq", "value": True},
                           "set": {"execution_label": "enrich_later"}})
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules))
    newer = gate_app(rules_file=path)
    assert label_cards(newer).cards_labeled == 2
    assert _one(newer, "SELECT count(*) FROM execution.lead_cards WHERE enrich_state = 'new'"
                       " AND enrich_reason IS NULL") == 2
    assert gate(newer).cards_queued == 2


def test_gate_again_rewrites_no_card(gate_app: Any, make_profiles: ProfileMaker) -> None:
    app = gate_app(credit_budget_per_run=0)
    _prepare(app, make_profiles, 20)
    make_profiles(5, start=50, posts=0, followers=1)  # hold
    build_cards(app)
    label_cards(app)
    first = gate(app)
    assert first.out_of_budget == 20 and first.ineligible == {}  # refused as built
    versions_sql = "SELECT string_agg(xmin::text, ',' ORDER BY id) FROM execution.lead_cards"
    before = _one(app, versions_sql)
    again = gate(app)
    assert (again.out_of_budget, again.ineligible) == (20, {})  # refused cards are settled
    assert _one(app, versions_sql) == before


def test_gate_passes_of_one_run_share_its_budget_and_a_new_run_gets_its_own(
        gate_app: Any, make_profiles: ProfileMaker) -> None:
    from sxp.adapters.postgres import runs

    app = gate_app(credit_budget_per_run=100, credit_budget_per_day=10_000, credits_per_lookup=1)
    _prepare(app, make_profiles, 500)
    with app.connect() as conn:
        run = runs.open_run(conn, "sxp run")
        conn.commit()
    # three gate passes in one run (more gate jobs, a job rerun after a crash): 100 in all
    passes = [gate(app) for _ in range(3)]
    assert [p.credits_reserved for p in passes] == [100, 0, 0]
    assert passes[1].credits_available == 0
    with app.connect() as conn:
        runs.finish_run(conn, run)
        conn.commit()
        assert _one(app, "SELECT count(DISTINCT run_id) FROM execution.enrichment_batches") == 1
    # the next run has its own 100; a gate outside any run (`sxp gate`) is a run of its own
    with app.connect() as conn:
        runs.open_run(conn, "sxp run")
        conn.commit()
    assert gate(app).credits_reserved == 100 and gate(app).credits_reserved == 0
    with app.connect() as conn:
        runs.finish_run(conn, runs.current_run(conn) or 0)
        conn.commit()
    assert gate(app).credits_reserved == 100 and gate(app).credits_reserved == 100
    assert _one(app, "SELECT sum(credits) FROM execution.credit_ledger WHERE entry = 'reserve'"
                ) == 400
    assert _one(app, "SELECT count(*) FROM execution.pipeline_runs WHERE finished_at IS NULL"
                ) == 0
