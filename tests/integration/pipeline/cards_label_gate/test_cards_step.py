from __future__ import annotations

import gzip

import orjson

from sxp.bootstrap import App
from sxp.pipeline.cards import build_cards

from .conftest import ProfileMaker

CARD_COLUMNS = ("profile_id, platform, handle, profile_hash, readiness, readiness_score,"
                " base_confidence, signals, enrich_inputs, enrich_state, updated_at")


def _cards(app: App) -> list[dict]:
    with app.connect() as conn:
        return conn.execute(f"SELECT {CARD_COLUMNS} FROM execution.lead_cards ORDER BY profile_id"
                            ).fetchall()


def test_cards_built_once_and_second_run_changes_nothing(app: App, make_profiles: ProfileMaker
                                                         ) -> None:
    make_profiles(40)
    first = build_cards(app, source_file_id=None)
    assert first.cards_written == 40
    before = _cards(app)
    second = build_cards(app, source_file_id=None)
    assert second.cards_written == 0 and second.stage_key is None
    assert _cards(app) == before  # same rows, same updated_at: nothing was rewritten
    card = before[0]
    assert card["enrich_inputs"]["first_name"] and card["enrich_inputs"]["state"] == "TX"
    assert 0 <= card["readiness_score"] <= 1 and card["signals"]["posts"] == 80
    with app.connect() as conn:
        kinds = [r["kind"] for r in conn.execute("SELECT kind FROM queue.jobs ORDER BY id")]
    assert kinds == ["label", "label"]


def test_changed_profile_refreshes_its_card_only(app: App, make_profiles: ProfileMaker) -> None:
    ids = make_profiles(5)
    build_cards(app, source_file_id=7)
    with app.connect() as conn, conn.transaction():
        conn.execute("UPDATE social.raw_social_profiles SET content_hash = 'changed',"
                     " location = 'Lisbon, Portugal' WHERE id = %s", (ids[2],))
        conn.execute("UPDATE execution.lead_cards SET enrich_state = 'ineligible',"
                     " enrich_reason = 'label_hold' WHERE profile_id = %s", (ids[2],))
    result = build_cards(app, source_file_id=8)
    assert result.cards_written == 1
    rows = {r["profile_id"]: r for r in _cards(app)}
    assert rows[ids[2]]["profile_hash"] == "changed"
    assert rows[ids[2]]["enrich_inputs"]["state"] is None
    assert rows[ids[2]]["enrich_state"] == "new"  # reconsidered by the next gate
    assert result.stage_key is not None
    assert result.stage_key.endswith("file-00000008/cards/part-00000.jsonl.gz")
    lines = gzip.decompress(app.store.get_bytes(result.stage_key)).splitlines()
    assert [orjson.loads(line)["profile_id"] for line in lines] == [ids[2]]


def test_queued_card_keeps_its_inputs_and_state_on_refresh(app: App, make_profiles: ProfileMaker
                                                           ) -> None:
    ids = make_profiles(1)
    build_cards(app)
    with app.connect() as conn, conn.transaction():
        conn.execute("UPDATE execution.lead_cards SET enrich_state = 'enriched'")
        conn.execute("UPDATE social.raw_social_profiles SET content_hash = 'v2',"
                     " display_name = 'Somebody Else' WHERE id = %s", (ids[0],))
    before = _cards(app)[0]
    build_cards(app)
    after = _cards(app)[0]
    assert after["profile_hash"] == "v2" and after["enrich_state"] == "enriched"
    assert after["enrich_inputs"] == before["enrich_inputs"]
