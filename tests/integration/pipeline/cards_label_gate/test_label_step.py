from __future__ import annotations

import json
from pathlib import Path

from sxp.bootstrap import App, bootstrap
from sxp.config import Settings
from sxp.pipeline.cards import build_cards
from sxp.pipeline.label import label_cards

from .conftest import ProfileMaker


def _labels(app: App) -> list[dict]:
    with app.connect() as conn:
        return conn.execute(
            "SELECT id, persona, tribe, audience_pool, execution_label, ruleset_version,"
            " rules_fired, labeled_hash, labeled_at FROM execution.lead_cards ORDER BY id"
        ).fetchall()


def test_labels_stored_with_version_and_rules_fired(app: App, make_profiles: ProfileMaker
                                                    ) -> None:
    make_profiles(8)
    make_profiles(2, start=100, posts=0, followers=3, bio="", display_name="???")
    build_cards(app)
    result = label_cards(app)
    assert result.cards_labeled == 10
    rows = _labels(app)
    realtor = rows[0]  # profile 0: realtor bio, named, Austin TX
    assert realtor["persona"] == "real_estate_agent" and realtor["tribe"] == "real_estate"
    assert realtor["audience_pool"] == "us_local_pros"
    assert realtor["execution_label"] == "enrich_now"
    assert realtor["ruleset_version"] == "2026.11-v1"
    assert realtor["rules_fired"] == ["persona.real_estate_agent", "pool.local_pros_us",
                                      "exec.enrich_now_local_pros"]
    assert rows[-1]["execution_label"] == "hold" and "exec.hold_inactive" in rows[-1]["rules_fired"]
    assert result.by_execution_label["hold"] == 2
    with app.connect() as conn:
        gate_jobs = conn.execute("SELECT queueing_lock FROM queue.jobs WHERE kind = 'gate'"
                                 ).fetchall()
    assert gate_jobs == [{"queueing_lock": "gate"}]


def test_second_run_labels_nothing_and_new_version_relabels(app: App, settings: Settings,
                                                            make_profiles: ProfileMaker,
                                                            tmp_path: Path) -> None:
    make_profiles(6)
    build_cards(app)
    label_cards(app)
    before = _labels(app)
    assert label_cards(app).cards_labeled == 0
    assert _labels(app) == before

    rules = json.loads((Path(__file__).parents[4] / "shared/sxp/rules/v1.json").read_text())
    rules["version"] = "2026.12-test"
    rules["rules"].insert(0, {"id": "exec.everyone_exports", "priority": 1000,
                              "when": {"field": "platform", "op": "exists"},
                              "set": {"execution_label": "export_only"}})
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules))
    other = bootstrap(settings.model_copy(update={"rules_file": path}))
    try:
        assert label_cards(other).cards_labeled == 6
    finally:
        other.close()
    after = _labels(app)
    assert {r["ruleset_version"] for r in after} == {"2026.12-test"}
    assert {r["execution_label"] for r in after} == {"export_only"}
    assert all("exec.everyone_exports" in r["rules_fired"] for r in after)


def test_changed_profile_is_relabeled(app: App, make_profiles: ProfileMaker) -> None:
    ids = make_profiles(3)
    build_cards(app)
    label_cards(app)
    with app.connect() as conn, conn.transaction():
        conn.execute("UPDATE social.raw_social_profiles SET content_hash = 'v2',"
                     " bio = 'Content creator, brand deals in DMs' WHERE id = %s", (ids[1],))
    build_cards(app)
    assert label_cards(app).cards_labeled == 1
    assert _labels(app)[1]["persona"] == "creator"
