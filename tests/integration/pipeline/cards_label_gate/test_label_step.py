from __future__ import annotations

import json
from pathlib import Path

from sxp.bootstrap import App, bootstrap
from sxp.config import Settings
from sxp.pipeline.cards import build_cards
from sxp.pipeline.gate import gate
from sxp.pipeline.jobs import set_progress_report
from sxp.pipeline.label import label_cards

from .conftest import ProfileMaker


def _labels(app: App) -> list[dict]:
    with app.connect() as conn:
        return conn.execute(
            "SELECT id, persona, tribe, audience_pool, execution_label, ruleset_version,"
            " rules_fired, labeled_hash, labeled_at FROM execution.lead_cards ORDER BY id"
        ).fetchall()


def test_cards_come_labeled_with_version_and_rules_fired(app: App,
                                                         make_profiles: ProfileMaker) -> None:
    make_profiles(8)
    make_profiles(2, start=100, posts=0, followers=3, bio="", display_name="???")
    build_cards(app)  # the cards step labels the cards it builds
    rows = _labels(app)
    assert label_cards(app).cards_labeled == 0  # current: nothing rewritten
    realtor = rows[0]  # profile 0: realtor bio, named, Austin TX
    assert realtor["persona"] == "real_estate_agent" and realtor["tribe"] == "real_estate"
    assert realtor["audience_pool"] == "us_local_pros"
    assert realtor["execution_label"] == "enrich_now"
    assert realtor["ruleset_version"] == "2026.11-v1"
    assert realtor["rules_fired"] == ["persona.real_estate_agent", "pool.local_pros_us",
                                      "exec.enrich_now_local_pros"]
    assert rows[-1]["execution_label"] == "hold" and "exec.hold_inactive" in rows[-1]["rules_fired"]
    assert sum(r["execution_label"] == "hold" for r in rows) == 2
    assert _labels(app) == rows
    with app.connect() as conn:
        gate_jobs = conn.execute("SELECT queueing_lock FROM queue.jobs WHERE kind = 'gate'"
                                 ).fetchall()
    assert gate_jobs == [{"queueing_lock": "gate"}]


def test_the_cards_steps_labels_are_the_label_steps(app: App, make_profiles: ProfileMaker
                                                   ) -> None:
    """The label step (the reference, from the stored rows) gives every card the labels the
    cards step gave it from the profile it scored."""
    make_profiles(40)
    make_profiles(10, start=100, posts=0, followers=3, bio="", display_name="???")
    make_profiles(10, start=200, bio="Just vibes", location="Lisbon, Portugal")
    build_cards(app)
    fields = ("persona", "tribe", "audience_pool", "execution_label", "ruleset_version",
              "rules_fired", "labeled_hash")
    from_cards = [{k: r[k] for k in fields} for r in _labels(app)]
    assert len({r["execution_label"] for r in from_cards}) >= 3
    with app.connect() as conn, conn.transaction():
        conn.execute("UPDATE execution.lead_cards SET labeled_hash = NULL, persona = NULL,"
                     " tribe = NULL, audience_pool = NULL, execution_label = NULL,"
                     " rules_fired = NULL")
    assert label_cards(app).cards_labeled == 60
    assert [{k: r[k] for k in fields} for r in _labels(app)] == from_cards


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
        reports: list[tuple[int, int | None, str]] = []
        set_progress_report(lambda done, total, unit: reports.append((done, total, unit)))
        try:
            assert label_cards(other).cards_labeled == 6
        finally:
            set_progress_report(None)
        assert reports[-1] == (6, 6, "cards")  # a relabel says how far it is
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
    assert _labels(app)[1]["persona"] == "creator"
    assert label_cards(app).cards_labeled == 0


def test_a_new_ruleset_writes_only_the_cards_whose_labels_change(
        app: App, settings: Settings, make_profiles: ProfileMaker, tmp_path: Path) -> None:

    make_profiles(6)
    make_profiles(3, start=50, bio="Just vibes")
    build_cards(app)
    label_cards(app)
    with app.connect() as conn:
        before = {r["id"]: r for r in conn.execute(
            "SELECT id, labeled_hash, updated_at, execution_label, enrich_state"
            " FROM execution.lead_cards")}
    rules = json.loads((Path(__file__).parents[4] / "shared/sxp/rules/v1.json").read_text())
    rules["version"] = "2026.12-same-labels"  # a new version, the same rules
    path = tmp_path / "same.json"
    path.write_text(json.dumps(rules))
    same = bootstrap(settings.model_copy(update={"rules_file": path}))
    refused = {i for i, r in before.items() if r["enrich_state"] == "ineligible"}
    assert refused  # the cards step gave them the gate's decision as it built them
    try:
        # the refused cards go back to the gate (the new rules may gate them); nothing else
        assert label_cards(same).cards_labeled == len(refused)
        assert label_cards(same).cards_labeled == 0  # the pass is recorded: nothing is stale
        planned = gate(same, dry_run=True)
        with same.connect() as conn:
            after = {r["id"]: r for r in conn.execute(
                "SELECT id, labeled_hash, updated_at, execution_label, enrich_state"
                " FROM execution.lead_cards")}
    finally:
        same.close()
    assert {i: r for i, r in after.items() if i not in refused} == {
        i: r for i, r in before.items() if i not in refused}  # not one other row touched
    # the cards waiting for the gate are still gated under the new version: it decides on all
    assert planned.eligible + sum(planned.ineligible.values()) == sum(
        1 for r in after.values() if r["enrich_state"] == "new")

    rules["version"] = "2026.12-one-change"
    rules["rules"].insert(0, {"id": "exec.vibes_hold", "priority": 1000,
                              "when": {"field": "bio", "op": "contains_any",
                                       "value": ["vibes"]},
                              "set": {"execution_label": "hold"}})
    path.write_text(json.dumps(rules))
    changed = bootstrap(settings.model_copy(update={"rules_file": path}))
    try:
        result = label_cards(changed)
    finally:
        changed.close()
    with app.connect() as conn:
        written = {r["id"] for r in conn.execute(
            "SELECT id FROM execution.lead_cards WHERE ruleset_version = %s",
            (rules["version"],))}
        vibes = {r["id"] for r in conn.execute(
            "SELECT c.id FROM execution.lead_cards c JOIN social.raw_social_profiles p"
            " ON p.id = c.profile_id WHERE p.bio LIKE '%%vibes%%'")}
    moved = {i for i in vibes if before[i]["execution_label"] != "hold"}
    assert moved and written == moved | refused  # the rest are not touched
    assert result.cards_labeled == len(written)
