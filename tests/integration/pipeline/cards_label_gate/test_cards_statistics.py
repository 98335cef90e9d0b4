"""A cards step that wrote a large part of lead_cards refreshes the planner's statistics before
it commits (under its own role, through migration 088's function, of its scalar columns since
089); a small one leaves them to autovacuum."""

from __future__ import annotations

import pytest

from sxp.bootstrap import App, bootstrap
from sxp.pipeline import cards as cards_step
from sxp.pipeline.cards import build_cards, statistics_stale

from .conftest import ProfileMaker


def _planner_count(app: App) -> float:
    with app.connect() as conn:
        row = conn.execute("SELECT reltuples FROM pg_class"
                           " WHERE oid = 'execution.lead_cards'::regclass").fetchone()
    assert row is not None
    return float(row["reltuples"])


def _analyzed_columns(app: App) -> set[str]:
    with app.connect() as conn:
        rows = conn.execute("SELECT attname FROM pg_stats"
                            " WHERE schemaname = 'execution' AND tablename = 'lead_cards'")
        return {row["attname"] for row in rows}


def test_a_large_step_refreshes_the_statistics_under_the_cards_role(
        app: App, make_profiles: ProfileMaker, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cards_step, "STATISTICS_MIN_CARDS", 5)
    make_profiles(12)
    scoped = bootstrap(app.settings.model_copy(update={"db_role": "sxp_cards"}))
    try:
        assert build_cards(scoped).cards_written == 12
    finally:
        scoped.close()
    assert _planner_count(app) == 12  # what ANALYZE counted
    analyzed = _analyzed_columns(app)
    assert {"profile_id", "enrich_state", "handoff_seq", "execution_label"} <= analyzed
    assert not analyzed & {"signals", "signal_components", "enrich_inputs", "rules_fired",
                            "lookup_inputs"}
    make_profiles(2, start=12)
    assert build_cards(app).cards_written == 2  # below the threshold: not analyzed again
    assert _planner_count(app) == 12


def test_the_rule_is_a_tenth_of_the_table_and_a_floor() -> None:
    floor = cards_step.STATISTICS_MIN_CARDS
    assert statistics_stale(floor, 0)
    assert not statistics_stale(floor - 1, 0)
    assert statistics_stale(floor, 10 * floor)
    assert not statistics_stale(floor, 10 * floor + 1)
