"""The gate's SQL stream comes out in exactly the order of `sxp.domain.gate.priority_key`."""

from __future__ import annotations

from sxp.adapters.postgres import cards as repo
from sxp.adapters.rules_file import load_ruleset
from sxp.bootstrap import App
from sxp.domain.gate import priority_key
from sxp.pipeline.cards import build_cards
from sxp.pipeline.label import label_cards

from .conftest import ProfileMaker


def test_sql_order_matches_priority_key_across_chunks(app: App,
                                                      make_profiles: ProfileMaker) -> None:
    make_profiles(40)
    make_profiles(10, start=100, bio="Just vibes")  # export_only: sorted after enrichable
    build_cards(app)
    label_cards(app)
    with app.connect() as conn, conn.transaction():
        # mix labels and tie scores so every sort key matters
        conn.execute("UPDATE execution.lead_cards SET execution_label = 'enrich_later'"
                     " WHERE id % 3 = 0 AND execution_label = 'enrich_now'")
        conn.execute("UPDATE execution.lead_cards SET base_confidence = 0.9"
                     " WHERE id % 4 = 0")
    ruleset = load_ruleset(app.settings)
    with app.connect() as conn, conn.transaction():
        streamed = [card for chunk in repo.iter_gate_candidates(
            conn, ruleset.version, ruleset.gate.enrichable_labels, chunk=7) for card in chunk]
    assert len(streamed) == 50
    labels = {c.execution_label for c in streamed}
    assert {"enrich_now", "enrich_later", "export_only"} <= labels
    assert streamed == sorted(streamed, key=lambda c: priority_key(c, ruleset.gate))
