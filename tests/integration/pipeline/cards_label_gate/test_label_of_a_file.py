"""A file's label job reads only the cards of the profiles that file changed, once the ruleset
version has had its full pass; that narrow pass never counts as a full one."""

from __future__ import annotations

from typing import Any

from sxp.bootstrap import App
from sxp.pipeline.cards import build_cards
from sxp.pipeline.label import label_cards


def _passes(app: App) -> list[Any]:
    with app.connect() as conn:
        return [r["completed_at"] for r in conn.execute(
            "SELECT completed_at FROM execution.label_passes")]


def test_a_files_label_job_is_narrow_after_the_full_pass(app: App, make_profiles: Any) -> None:
    ids = make_profiles(4)
    build_cards(app)
    first = label_cards(app, source_file_id=99)  # no pass yet under this version: full
    assert first.cards_labeled == 4
    passes = _passes(app)
    with app.connect() as conn, conn.transaction():
        conn.execute("INSERT INTO social.source_files (id, bucket, key, etag)"
                     " VALUES (42, 'b', 'k42', 'e')")
        for profile_id, file_id in ((ids[0], 42), (ids[1], None)):
            conn.execute("UPDATE social.raw_social_profiles SET content_hash = 'new-' || id,"
                         " bio = 'changed', source_file_id = %s WHERE id = %s",
                         (file_id, profile_id))
    build_cards(app)
    narrow = label_cards(app, source_file_id=42)
    assert narrow.cards_labeled == 1  # the other changed card is not that file's
    assert _passes(app) == passes  # a narrow pass is not recorded as a full one
    assert label_cards(app).cards_labeled == 1  # a full pass picks up the rest
