"""A file's label job reads only the cards of the profiles that file changed, once the ruleset
version has had its full pass; that narrow pass never counts as a full one. (The cards step
labels what it builds, so the label step finds stale labels only where cards were built
under another rules file: during a rollout.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sxp.bootstrap import App, bootstrap
from sxp.config import Settings
from sxp.pipeline.cards import build_cards
from sxp.pipeline.label import label_cards

RULES = Path(__file__).parents[4] / "shared/sxp/rules/v1.json"


def _passes(app: App) -> list[Any]:
    with app.connect() as conn:
        return [r["completed_at"] for r in conn.execute(
            "SELECT completed_at FROM execution.label_passes")]


def test_a_files_label_job_is_narrow_after_the_full_pass(
        app: App, settings: Settings, make_profiles: Any, tmp_path: Path) -> None:
    ids = make_profiles(4)
    build_cards(app)
    first = label_cards(app, source_file_id=99)  # no pass yet under this version: full
    assert first.cards_labeled == 0  # the cards step labeled them
    passes = _passes(app)
    assert len(passes) == 1
    with app.connect() as conn, conn.transaction():
        conn.execute("INSERT INTO social.source_files (id, bucket, key, etag)"
                     " VALUES (42, 'b', 'k42', 'e')")
        for profile_id, file_id in ((ids[0], 42), (ids[1], None)):
            conn.execute("UPDATE social.raw_social_profiles SET content_hash = 'new-' || id,"
                         " bio = 'changed', source_file_id = %s WHERE id = %s",
                         (file_id, profile_id))
    rules = json.loads(RULES.read_text())
    rules["version"] = "2026.12-rollout"
    rules["rules"].insert(0, {"id": "exec.changed_hold", "priority": 1000,
                              "when": {"field": "bio", "op": "contains_any",
                                       "value": ["changed"]},
                              "set": {"execution_label": "hold"}})
    (tmp_path / "rollout.json").write_text(json.dumps(rules))
    rollout = bootstrap(settings.model_copy(update={"rules_file": tmp_path / "rollout.json"}))
    try:
        build_cards(rollout)  # the changed cards, labeled under the other rules file
    finally:
        rollout.close()
    narrow = label_cards(app, source_file_id=42)
    assert narrow.cards_labeled == 1  # the other changed card is not that file's
    assert _passes(app) == passes  # a narrow pass is not recorded as a full one
    assert label_cards(app).cards_labeled == 1  # a full pass picks up the rest
