from __future__ import annotations

import gzip

import orjson

from sxp.adapters.postgres import cards as repo
from sxp.adapters.postgres import gate_cards
from sxp.adapters.rules_file import load_ruleset
from sxp.bootstrap import App
from sxp.domain.gate import BUDGET_EXHAUSTED, GateCard, ineligible_reason
from sxp.pipeline.cards import build_cards, write_chunk
from sxp.pipeline.cards_parallel import CardBuild, ProfileSource, card_scorer
from sxp.pipeline.gate import gate, provider_chain

from .conftest import ProfileMaker

CARD_COLUMNS = ("id, profile_id, platform, handle, profile_hash, readiness, readiness_score,"
                " base_confidence, signals, enrich_inputs, lookup_inputs, enrich_state,"
                " enrich_reason, execution_label, updated_at")


def _cards(app: App) -> list[dict]:
    with app.connect() as conn:
        return conn.execute(f"SELECT {CARD_COLUMNS} FROM execution.lead_cards ORDER BY profile_id"
                            ).fetchall()


def _gate_decision(app: App, card: dict) -> tuple[str, str]:
    """(enrich_state, enrich_reason) a gate pass gives the card (the Python reference)."""
    reason = ineligible_reason(
        GateCard(card_id=card["id"], execution_label=card["execution_label"],
                 readiness_score=float(card["readiness_score"]),
                 base_confidence=float(card["base_confidence"]),
                 enrich_inputs=card["enrich_inputs"] or {}),
        load_ruleset(app.settings).gate, provider_chain(app.settings.enrich_provider))
    return ("new", BUDGET_EXHAUSTED) if reason is None else ("ineligible", reason)


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
    build_cards(app)
    with app.connect() as conn, conn.transaction():
        file_id = conn.execute(  # the file whose ingest changed the profile, as a merge names it
            "INSERT INTO social.source_files (id, bucket, key, etag) VALUES (8, 'b', 'k', 'e')"
            " RETURNING id").fetchone()["id"]
        conn.execute("UPDATE social.raw_social_profiles SET content_hash = 'changed',"
                     " location = 'Lisbon, Portugal', source_file_id = %s WHERE id = %s",
                     (file_id, ids[2]))
        conn.execute("UPDATE execution.lead_cards SET enrich_state = 'ineligible',"
                     " enrich_reason = 'label_hold' WHERE profile_id = %s", (ids[2],))
    result = build_cards(app, source_file_id=8)
    assert result.cards_written == 1
    rows = {r["profile_id"]: r for r in _cards(app)}
    assert rows[ids[2]]["profile_hash"] == "changed"
    assert rows[ids[2]]["enrich_inputs"]["state"] is None
    # reconsidered at once, as a gate pass would decide it
    assert (rows[ids[2]]["enrich_state"], rows[ids[2]]["enrich_reason"]) == _gate_decision(
        app, rows[ids[2]])
    assert result.stage_key is not None
    assert result.stage_key.endswith("file-00000008/cards/part-00000.jsonl.gz")
    lines = gzip.decompress(app.store.get_bytes(result.stage_key)).splitlines()
    assert [orjson.loads(line)["profile_id"] for line in lines] == [ids[2]]


def test_new_and_changed_profiles_in_one_chunk(app: App, make_profiles: ProfileMaker) -> None:
    """A chunk holding both kinds: the new profiles' cards copied in, the changed one's
    refreshed in place (its id kept), the unchanged ones untouched."""
    ids = make_profiles(3)
    build_cards(app)
    before = {r["profile_id"]: r for r in _cards(app)}
    with app.connect() as conn, conn.transaction():
        conn.execute("UPDATE social.raw_social_profiles SET content_hash = 'changed'"
                     " WHERE id = %s", (ids[1],))
    ids += make_profiles(2, start=10)
    assert build_cards(app).cards_written == 3
    after = {r["profile_id"]: r for r in _cards(app)}
    assert sorted(after) == sorted(ids)
    assert after[ids[1]]["id"] == before[ids[1]]["id"]
    assert after[ids[1]]["profile_hash"] == "changed"
    assert after[ids[0]] == before[ids[0]] and after[ids[2]] == before[ids[2]]
    assert [(c["enrich_state"], c["enrich_reason"]) for c in after.values()] == [
        _gate_decision(app, c) for c in after.values()]


def test_refresh_recomputes_inputs_and_the_reenrichment_rule_decides(
        app: App, make_profiles: ProfileMaker) -> None:
    ids = make_profiles(4)
    build_cards(app)
    with app.connect() as conn, conn.transaction():
        # 0 queued; 1 enriched yesterday; 2 enriched 40 days ago; 3 enriched 40 days ago
        conn.execute("UPDATE execution.lead_cards SET lookup_inputs = enrich_inputs,"
                     " enrich_state = CASE WHEN profile_id = %s THEN 'queued' ELSE 'enriched'"
                     " END, enriched_at = CASE WHEN profile_id = %s THEN now() - interval"
                     " '1 day' ELSE now() - interval '40 days' END", (ids[0], ids[1]))
        for n in (0, 1, 2):  # the inputs change (a new name)
            conn.execute("UPDATE social.raw_social_profiles SET content_hash = 'v2-' || id,"
                         " display_name = 'Somebody Else' WHERE id = %s", (ids[n],))
        # the profile changes, its enrichment inputs do not
        conn.execute("UPDATE social.raw_social_profiles SET content_hash = 'v2-' || id,"
                     " followers = followers + 1 WHERE id = %s", (ids[3],))
    before = {c["profile_id"]: c for c in _cards(app)}
    build_cards(app)
    after = {c["profile_id"]: c for c in _cards(app)}
    for n in (0, 1, 2):
        assert after[ids[n]]["enrich_inputs"]["last_name"] == "Else"  # always current
        assert after[ids[n]]["lookup_inputs"] == before[ids[n]]["enrich_inputs"]
    assert [after[i]["enrich_state"] for i in ids] == ["queued", "enriched", "new", "enriched"]
    # looked up again: judged eligible at once, waiting for a gate pass to buy it
    assert after[ids[2]]["enrich_reason"] == BUDGET_EXHAUSTED


def test_a_files_cards_job_reads_only_what_that_file_changed(
        app: App, make_profiles: ProfileMaker) -> None:
    ids = make_profiles(3)
    with app.connect() as conn, conn.transaction():
        conn.execute("INSERT INTO social.source_files (id, bucket, key, etag)"
                     " VALUES (41, 'b', 'k41', 'e')")
        conn.execute("UPDATE social.raw_social_profiles SET source_file_id = 41"
                     " WHERE id = %s", (ids[0],))
    assert build_cards(app, source_file_id=41).cards_written == 1
    assert build_cards(app).cards_written == 2  # a sweep still finds every stale card


def test_cards_come_with_the_gate_decision_under_the_recorded_basis(
        app: App, make_profiles: ProfileMaker) -> None:
    make_profiles(6)
    make_profiles(3, start=10, bio_url=None, location=None)  # missing lookup inputs
    make_profiles(3, start=20, posts=0, followers=2)  # inactive: hold
    build_cards(app)
    cards = _cards(app)
    decisions = [_gate_decision(app, c) for c in cards]
    assert {state for state, _reason in decisions} == {"new", "ineligible"}
    assert [(c["enrich_state"], c["enrich_reason"]) for c in cards] == decisions
    # the gate finds nothing to decide and buys what waits
    result = gate(app)
    assert result.ineligible == {}
    assert result.cards_queued == sum(1 for state, _ in decisions if state == "new")


def test_cards_are_left_fresh_under_another_basis(app: App, make_profiles: ProfileMaker
                                                 ) -> None:
    with app.connect() as conn, conn.transaction():  # a pass under other settings
        gate_cards.record_basis(conn, "another ruleset|apollo|{}")
    make_profiles(5)
    make_profiles(2, start=20, posts=0, followers=2)
    build_cards(app)
    assert {(c["enrich_state"], c["enrich_reason"]) for c in _cards(app)} == {("new", None)}
    result = gate(app)  # judged under the gate's own basis, every waiting card
    assert result.ineligible == {"label_hold": 2} and result.cards_queued == 5


def test_cards_written_chunk_by_chunk_are_those_written_at_once(
        app: App, make_profiles: ProfileMaker) -> None:
    make_profiles(5)
    make_profiles(2, start=20, posts=0, followers=2)
    chunked = build_cards(app, chunk_profiles=2)
    assert chunked.cards_written == 7 and chunked.stage_key is not None
    cards = _cards(app)
    assert [(c["enrich_state"], c["enrich_reason"]) for c in cards] == [
        _gate_decision(app, c) for c in cards]
    staged = gzip.decompress(app.store.get_bytes(chunked.stage_key)).splitlines()
    assert [orjson.loads(line)["profile_id"] for line in staged] == [
        c["profile_id"] for c in cards]

    def content(rows: list[dict]) -> list[dict]:
        return [{k: v for k, v in r.items() if k not in ("id", "updated_at")} for r in rows]

    with app.connect() as conn, conn.transaction():
        conn.execute("DELETE FROM execution.lead_cards")
    assert build_cards(app).cards_written == 7  # one chunk
    assert content(_cards(app)) == content(cards)
    assert gzip.decompress(app.store.get_bytes(chunked.stage_key)).splitlines() == staged


def test_new_cards_another_step_built_meanwhile_are_upserted(
        app: App, make_profiles: ProfileMaker) -> None:
    """A chunk's new cards go straight into lead_cards; when another step built some of them
    after this one read its profiles, the copy fails in its savepoint and the chunk is
    upserted instead: nothing lost, nothing doubled, the same cards rewritten by nobody."""
    make_profiles(4)
    ruleset = load_ruleset(app.settings)
    policy = ruleset.reenrich
    with app.connect() as conn, conn.transaction():
        repo.start_card_copy(conn)
        ranges = repo.stale_ranges(conn, 10)
        source = ProfileSource(conn, app.database_uri, app.settings.db_role)
        with card_scorer(ruleset, CardBuild(repo.transaction_time(conn)), source, 0) as score:
            (chunk,) = list(score(ranges))
        assert chunk.new_cards and not chunk.changed_cards
        assert build_cards(app).cards_written == 4  # another step, committed meanwhile
        theirs = _cards(app)
        assert write_chunk(conn, chunk, policy) == 0  # the same content: nothing to refresh
    assert _cards(app) == theirs


def test_a_cards_signals_are_kept_in_two_columns_and_read_as_one(
        app: App, make_profiles: ProfileMaker) -> None:
    from sxp.adapters.postgres import card_reads
    from sxp.domain.cards import COMPONENT_KEYS

    make_profiles(3)
    build_cards(app, source_file_id=None)
    with app.connect() as conn:
        stored = conn.execute("SELECT id, signals, signal_components FROM execution.lead_cards"
                              " ORDER BY id").fetchall()
        for card in stored:
            assert not set(card["signals"]) & set(COMPONENT_KEYS)  # the facts only
            assert list(card["signal_components"]) == list(COMPONENT_KEYS)
            shown = card_reads.one(conn, card["id"])
            assert shown is not None
            assert shown["signals"] == {**card["signals"], **card["signal_components"]}
        # a card written before migration 092: its components inside `signals`
        first = stored[0]
        conn.execute("UPDATE execution.lead_cards SET signal_components = NULL,"
                     " signals = signals || %s::jsonb WHERE id = %s",
                     (orjson.dumps(first["signal_components"]).decode(), first["id"]))
        assert card_reads.one(conn, first["id"])["signals"] == {
            **first["signals"], **first["signal_components"]}
        conn.rollback()
