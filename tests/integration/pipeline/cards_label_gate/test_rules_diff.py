"""`sxp rules diff`: the counts it predicts for a new ruleset are what relabeling then does."""

from __future__ import annotations

from collections import Counter
from importlib import resources
from pathlib import Path

import orjson

from sxp.bootstrap import App, bootstrap
from sxp.config import Settings
from sxp.domain.rules import parse_ruleset
from sxp.pipeline.cards import build_cards
from sxp.pipeline.label import label_cards
from sxp.pipeline.rules_diff import LABELS, diff_rules

from .conftest import ProfileMaker


def _labels(app: App) -> dict[int, dict[str, str | None]]:
    with app.connect() as conn:
        rows = conn.execute("SELECT id, persona, tribe, audience_pool, execution_label"
                            " FROM execution.lead_cards").fetchall()
    return {r["id"]: {name: r[name] for name in LABELS} for r in rows}


def _new_rules(tmp_path: Path) -> Path:
    doc = orjson.loads(resources.files("sxp").joinpath("rules", "v1.json").read_bytes())
    doc["version"] = "2026.12-test"
    # realtors are no longer a persona of their own, and lash techs go on hold
    doc["rules"] = [r for r in doc["rules"] if r["id"] != "persona.real_estate_agent"]
    doc["rules"].insert(0, {"id": "exec.hold_lashes", "priority": 1000,
                            "when": {"field": "bio", "op": "contains_any", "value": ["lash"]},
                            "set": {"execution_label": "hold"}})
    path = tmp_path / "rules.json"
    path.write_bytes(orjson.dumps(doc))
    return path


def test_diff_predicts_the_relabeling_and_changes_nothing(app: App, settings: Settings,
                                                          make_profiles: ProfileMaker,
                                                          tmp_path: Path) -> None:
    make_profiles(80)
    build_cards(app)
    label_cards(app)
    before = _labels(app)
    path = _new_rules(tmp_path)
    predicted = diff_rules(app, parse_ruleset(path.read_bytes()))
    assert _labels(app) == before  # nothing written
    assert predicted.cards == 80 and predicted.cards_changed > 0
    assert all(k.startswith("real_estate_agent -> ") for k in predicted.changes["persona"])
    assert any(k.endswith("-> hold") for k in predicted.changes["execution_label"])
    assert predicted.gate_new["eligible"] <= predicted.gate_now["eligible"]
    # switching SXP_RULES_FILE relabels on the next run, exactly as predicted
    switched = bootstrap(settings.model_copy(update={"rules_file": path}))
    try:
        label_cards(switched)
        after = _labels(switched)
    finally:
        switched.close()
    happened: dict[str, Counter[str]] = {name: Counter() for name in LABELS}
    for card_id, old in before.items():
        for name in LABELS:
            if old[name] != after[card_id][name]:
                happened[name][f"{old[name]} -> {after[card_id][name]}"] += 1
    assert {name: dict(c) for name, c in happened.items() if c} == predicted.changes
    assert sum(1 for i in before if before[i] != after[i]) == predicted.cards_changed
