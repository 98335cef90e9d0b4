"""What a finished enrichment batch writes, one statement per table: each card's person and
business (a pair given twice keeps its last answer, new rows take their ids in the given
order, a rerun changes nothing) and each card's outcome (each ready card taking one new place
in the handoff sequence)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg

from sxp.adapters.postgres import batches, contacts
from sxp.adapters.providers.base import Business, Email, LookupResult, Person, Phone
from sxp.bootstrap import App

FETCHED = datetime(2026, 11, 3, 10, tzinfo=UTC)


def _queued_cards(conn: psycopg.Connection[Any], count: int) -> list[int]:
    ids = []
    for n in range(count):
        profile = conn.execute(
            "INSERT INTO social.raw_social_profiles (platform, handle, scraped_at, content_hash)"
            " VALUES ('x', %s, '2026-11-01T10:00:00Z', %s) RETURNING id",
            (f"writes_{n}", f"hash{n}")).fetchone()
        assert profile is not None
        card = conn.execute(
            "INSERT INTO execution.lead_cards (profile_id, platform, handle, profile_hash,"
            " readiness, readiness_score, base_confidence, execution_label, ruleset_version,"
            " labeled_at, enrich_state) VALUES (%s, 'x', %s, %s, 'ready', 0.8, 0.7,"
            " 'enrich_now', 'test-v1', now(), 'queued') RETURNING id",
            (profile["id"], f"writes_{n}", f"hash{n}")).fetchone()
        assert card is not None
        ids.append(int(card["id"]))
    return ids


def _person(first: str, phone: str, confidence: float) -> Person:
    return Person(provider_record_id=f"p-{first}", first_name=first, last_name="Synthetic",
                  emails=[Email(address=f"{first.lower()}@example.com")],
                  phones=[Phone(number=phone, dnc=False)], confidence=confidence)


def _contacts(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT id, card_id, provider, first_name, phones, confidence, call_id"
        " FROM contact.contacts ORDER BY id").fetchall()


def test_results_are_written_once_per_card_and_provider_in_order(app: App) -> None:
    with app.connect() as conn:
        first, second = _queued_cards(conn, 2)
        answers = [
            (LookupResult(card_id=second, matched=True,
                          person=_person("Older", "+15550100001", 0.5)), "skiptrace", 7),
            (LookupResult(card_id=first, matched=True,
                          person=_person("Avery", "+15550100002", 0.9),
                          business=Business(name="Synthetic LLC", domain="synthetic.example",
                                            employee_count=12)), "apollo", 8),
            (LookupResult(card_id=second, matched=True,
                          person=_person("Newer", "+15550100003", 0.75)), "skiptrace", 9),
        ]
        conn.execute("INSERT INTO contact.provider_calls (id, provider, request_hash, batch_id,"
                     " card_ids, outcome) SELECT i, 'skiptrace', 'h' || i, 'b', '{}', 'ok'"
                     " FROM unnest(ARRAY[7, 8, 9]) i")
        contacts.upsert_results(conn, answers, fetched_at=FETCHED)
        written = _contacts(conn)
        assert [(r["card_id"], r["provider"], r["first_name"], r["call_id"]) for r in written] \
            == [(second, "skiptrace", "Newer", 9), (first, "apollo", "Avery", 8)]
        assert written[0]["phones"] == [{"number": "+15550100003", "line_type": None,
                                         "dnc": False, "tcpa": None, "rank": None,
                                         "reachable": None}]
        assert float(written[0]["confidence"]) == 0.75
        business = conn.execute("SELECT card_id, name, domain, employee_count, fetched_at"
                                " FROM contact.businesses").fetchall()
        assert [tuple(b.values()) for b in business] == [
            (first, "Synthetic LLC", "synthetic.example", 12, FETCHED)]
        contacts.upsert_results(conn, answers, fetched_at=FETCHED)  # a rerun
        assert _contacts(conn) == written
        conn.rollback()


def test_outcomes_settle_each_card_and_give_it_one_handoff_place(app: App) -> None:
    with app.connect() as conn:
        cards = _queued_cards(conn, 4)
        outcomes = [batches.CardOutcome(cards[0], "enriched", None, True, True),
                    batches.CardOutcome(cards[1], "not_found", "no_match", None),
                    batches.CardOutcome(cards[2], "enriched", None, False, True),
                    batches.CardOutcome(cards[3], "not_found", "missing_inputs", None)]
        batches.set_card_outcomes(conn, outcomes)
        rows = conn.execute(
            "SELECT id, enrich_state, enrich_reason, dnc, phones_checked_at IS NOT NULL AS"
            " checked, enriched_at IS NOT NULL AS settled, handoff_seq, version"
            " FROM execution.lead_cards WHERE id = ANY(%s) ORDER BY id", (cards,)).fetchall()
        assert [(r["enrich_state"], r["enrich_reason"], r["dnc"], r["checked"], r["settled"])
                for r in rows] == [("enriched", None, True, True, True),
                                   ("not_found", "no_match", None, False, True),
                                   ("enriched", None, False, True, True),
                                   ("not_found", "missing_inputs", None, False, True)]
        places = [r["handoff_seq"] for r in rows]
        assert None not in places and len(set(places)) == 4
        assert {r["version"] for r in rows} == {1}
        batches.set_card_outcomes(conn, [])  # nothing to write
        conn.rollback()

