from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from sxp.adapters.postgres import queue
from sxp.bootstrap import App, bootstrap
from sxp.config import Settings
from sxp.errors import ProviderFatal
from sxp.logs import configure_logging
from sxp.pipeline import enrich, runner
from sxp.sandbox import SandboxServer, start_sandbox

from .enrich_fixtures import make_batch, synthetic_people

CANARY_EMAIL = "canary.zq81x@example.org"
CANARY_PHONE_DIGITS = "4155550142"
CANARY_FIRST, CANARY_LAST = "Canaryzq", "Birdsong"


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    server = start_sandbox(
        "skiptrace",
        match_rate=0.7,
        overrides={
            (CANARY_FIRST, CANARY_LAST): {
                "phones": [
                    {
                        "number": "(415) 555-0142",
                        "type": "Mobile",
                        "rank": 1,
                        "dnc": True,
                        "tcpa": False,
                        "reachable": True,
                    }
                ],
                "emails": [CANARY_EMAIL.upper()],
            },
            ("Nomatch", "Person"): {"matched": False},
        },
    )
    yield server
    server.close()


@pytest.fixture
def enrich_app(settings: Settings, sandbox: SandboxServer) -> Iterator[App]:
    app = bootstrap(settings.model_copy(update={"skiptrace_base_url": sandbox.base_url}))
    yield app
    app.close()


def _people() -> list[dict[str, object]]:
    people = synthetic_people(140)
    people[3] = {
        "first_name": CANARY_FIRST,
        "last_name": CANARY_LAST,
        "city": "Austin",
        "state": "TX",
    }
    people[4] = {"first_name": "Nomatch", "last_name": "Person", "city": "Austin", "state": "TX"}
    people[5] = {"first_name": "Ines", "last_name": "Abroad", "city": "Lyon", "state": "ARA"}
    people[6] = {"first_name": "Solo"}  # not enough inputs: never sent
    return people


def test_batch_enriched_stored_settled_audited_and_rerun_pays_nothing(
    enrich_app: App, sandbox: SandboxServer
) -> None:
    logs = io.StringIO()
    configure_logging("DEBUG", stream=logs)
    with enrich_app.connect() as conn:
        card_ids = make_batch(conn, "eb-1", _people())
        queue.enqueue(conn, "enrich", {"batch_id": "eb-1"}, queueing_lock="enrich:eb-1")
        # the no-match card had a contact from an earlier lookup: the new answer finds no one
        conn.execute("INSERT INTO contact.contacts (card_id, provider, fetched_at, emails)"
                     " VALUES (%s, 'apollo', now() - interval '90 days', '[]')", (card_ids[4],))
        conn.commit()

    result = runner.drain(enrich_app, kinds=["enrich"])
    assert result.done == 1
    assert sandbox.calls["/api/v1/property/skip-trace"] == 2  # 139 sendable cards: 100 + 39

    with enrich_app.connect() as conn:
        batch = conn.execute("SELECT * FROM execution.enrichment_batches").fetchone()
        cards = {r["id"]: r for r in conn.execute("SELECT * FROM execution.lead_cards")}
        contacts = conn.execute("SELECT * FROM contact.contacts ORDER BY card_id").fetchall()
        ledger = {
            r["entry"]: r["credits"]
            for r in conn.execute("SELECT entry, credits FROM execution.credit_ledger")
        }
        audit = conn.execute("SELECT * FROM audit.audit_log").fetchall()
        jobs = conn.execute("SELECT kind, state FROM queue.jobs ORDER BY id").fetchall()

    assert batch["state"] == "done"
    assert batch["cards_enriched"] + batch["cards_not_found"] == 140
    assert batch["cards_enriched"] == len(contacts) == sandbox.credits_charged
    assert card_ids[4] not in {c["card_id"] for c in contacts}  # the old contact went
    assert ledger == {
        "reserve": 140,
        "spend": sandbox.credits_charged,
        "release": 140 - sandbox.credits_charged,
    }
    assert batch["credits_spent"] == sandbox.credits_charged
    canary = next(c for c in contacts if c["card_id"] == card_ids[3])
    assert canary["emails"] == [{"address": CANARY_EMAIL, "status": None}]
    assert canary["phones"][0]["number"] == "+1" + CANARY_PHONE_DIGITS
    assert canary["phones"][0]["line_type"] == "mobile"
    assert cards[card_ids[3]]["dnc"] is True and cards[card_ids[3]]["enrich_state"] == "enriched"
    for idx, reason in ((4, "no_match"), (5, "no_match"), (6, "missing_inputs")):
        assert cards[card_ids[idx]]["enrich_state"] == "not_found"
        assert cards[card_ids[idx]]["enrich_reason"] == reason
    assert all(c["phones"] == [] or c["phones"][0]["number"].startswith("+1") for c in contacts)
    assert len(audit) == 1 and audit[0]["event_type"] == "enrichment"
    assert audit[0]["details"]["credits_spent"] == sandbox.credits_charged
    assert [j["kind"] for j in jobs] == ["enrich", "export"]

    # PII canaries: nowhere in logs or the audit trail
    text = logs.getvalue() + repr(audit)
    assert "provider call" in logs.getvalue()
    for canary_value in (CANARY_EMAIL, CANARY_PHONE_DIGITS, "555-0142", CANARY_FIRST, CANARY_LAST):
        assert canary_value.lower() not in text.lower()

    # rerun of the same batch from scratch (as after a crash before the final commit)
    with enrich_app.connect() as conn:
        conn.execute("UPDATE execution.enrichment_batches SET state = 'running'")
        conn.execute("DELETE FROM execution.credit_ledger WHERE entry <> 'reserve'")
        conn.commit()
    summary = enrich.enrich_batch(enrich_app, "eb-1")
    assert summary.calls_made == 0 and summary.calls_reused == 2
    assert sandbox.calls["/api/v1/property/skip-trace"] == 2
    assert summary.credits_spent == sandbox.credits_charged
    with enrich_app.connect() as conn:
        assert conn.execute("SELECT count(*) AS n FROM audit.audit_log").fetchone()["n"] == 1
        assert conn.execute("SELECT count(*) AS n FROM contact.contacts").fetchone()["n"] == len(
            contacts
        )


def test_fatal_provider_error_fails_batch_and_releases_credits(
    enrich_app: App, sandbox: SandboxServer
) -> None:
    sandbox.plan("402")
    with enrich_app.connect() as conn:
        make_batch(conn, "eb-2", synthetic_people(12))
        queue.enqueue(conn, "enrich", {"batch_id": "eb-2"}, queueing_lock="enrich:eb-2")
        conn.commit()
    result = runner.drain(enrich_app, kinds=["enrich"])
    assert result.dead == 1
    with enrich_app.connect() as conn:
        batch = conn.execute(
            "SELECT state, last_error FROM execution.enrichment_batches"
        ).fetchone()
        ledger = {
            r["entry"]: r["credits"]
            for r in conn.execute("SELECT entry, credits FROM execution.credit_ledger")
        }
        states = {
            r["enrich_state"] for r in conn.execute("SELECT enrich_state FROM execution.lead_cards")
        }
        audit = conn.execute("SELECT outcome FROM audit.audit_log").fetchall()
    assert batch["state"] == "failed" and "provider_quota_exhausted" in batch["last_error"]
    assert ledger == {"reserve": 12, "spend": 0, "release": 12}
    assert states == {"failed"}
    assert [a["outcome"] for a in audit] == ["failed"]


def test_enrich_batch_raises_fatal_directly(enrich_app: App, sandbox: SandboxServer) -> None:
    sandbox.plan("401")
    with enrich_app.connect() as conn:
        make_batch(conn, "eb-3", synthetic_people(3))
    with pytest.raises(ProviderFatal) as info:
        enrich.enrich_batch(enrich_app, "eb-3")
    assert info.value.status == 401


def test_waterfall_apollo_then_skiptrace(settings: Settings, sandbox: SandboxServer) -> None:
    apollo = start_sandbox("apollo", match_rate=0.6)
    app = bootstrap(
        settings.model_copy(
            update={"skiptrace_base_url": sandbox.base_url, "apollo_base_url": apollo.base_url}
        )
    )
    try:
        with app.connect() as conn:
            card_ids = make_batch(
                conn, "eb-w", synthetic_people(25), provider="apollo,skiptrace", credits_reserved=50
            )
        summary = enrich.enrich_batch(app, "eb-w")
        assert apollo.calls["/api/v1/people/bulk_match"] == 3  # 10 + 10 + 5
        assert sandbox.calls["/api/v1/property/skip-trace"] == 1  # everyone lacks phones
        assert summary.credits_spent == apollo.credits_charged + sandbox.credits_charged
        with app.connect() as conn:
            providers = {
                (r["card_id"], r["provider"])
                for r in conn.execute("SELECT card_id, provider FROM contact.contacts")
            }
            businesses = conn.execute("SELECT count(*) AS n FROM contact.businesses").fetchone()
        assert {p for _c, p in providers} == {"apollo", "skiptrace"}
        assert businesses["n"] == apollo.credits_charged
        assert {c for c, _p in providers} <= set(card_ids)
    finally:
        app.close()
        apollo.close()


def test_open_circuit_makes_the_job_wait_without_spending_an_attempt(
    enrich_app: App, sandbox: SandboxServer
) -> None:
    with enrich_app.connect() as conn:
        make_batch(conn, "eb-open", synthetic_people(5))
        queue.enqueue(conn, "enrich", {"batch_id": "eb-open"}, queueing_lock="enrich:eb-open")
        # another worker tripped the shared breaker a moment ago
        conn.execute(
            "INSERT INTO execution.provider_breakers (name, state, fail_counter, opened_at)"
            " VALUES ('skiptrace', 'open', 5, now())"
        )
        conn.commit()
        job = queue.claim(conn, "test-worker", ["enrich"])
    assert job is not None
    runner.run_claimed(enrich_app, job)
    assert sandbox.calls["total"] == 0
    with enrich_app.connect() as conn:
        row = conn.execute("SELECT state, attempts, last_error FROM queue.jobs").fetchone()
        batch = conn.execute("SELECT state FROM execution.enrichment_batches").fetchone()
        ledger = conn.execute("SELECT count(*) AS n FROM execution.credit_ledger").fetchone()
    assert (row["state"], row["attempts"], row["last_error"]) == (
        "todo",
        0,
        "provider_circuit_open",
    )
    assert batch["state"] == "running" and ledger["n"] == 1  # only the reservation


def test_retrying_a_dead_job_of_a_failed_batch_returns_its_cards_to_the_gate(
    enrich_app: App, sandbox: SandboxServer
) -> None:
    sandbox.plan("401")
    with enrich_app.connect() as conn:
        make_batch(conn, "eb-r", synthetic_people(4))
        queue.enqueue(conn, "enrich", {"batch_id": "eb-r"}, queueing_lock="enrich:eb-r")
        conn.commit()
    assert runner.drain(enrich_app, kinds=["enrich"]).dead == 1
    with enrich_app.connect() as conn:
        assert queue.retry_dead(conn) == 1
    assert runner.drain(enrich_app, kinds=["enrich"]).done == 1
    with enrich_app.connect() as conn:
        cards = conn.execute(
            "SELECT DISTINCT enrich_state, enrichment_batch_id FROM execution.lead_cards"
        ).fetchall()
        kinds = [
            r["kind"] for r in conn.execute("SELECT kind FROM queue.jobs WHERE state = 'todo'")
        ]
    assert cards == [{"enrich_state": "new", "enrichment_batch_id": None}]
    assert kinds == ["gate"]


def test_unknown_provider_on_a_batch_fails_it_and_releases_credits(enrich_app: App) -> None:
    with enrich_app.connect() as conn:
        make_batch(conn, "eb-x", synthetic_people(2), provider="nosuchprovider")
    with pytest.raises(ProviderFatal):
        enrich.enrich_batch(enrich_app, "eb-x")
    with enrich_app.connect() as conn:
        batch = conn.execute(
            "SELECT state, last_error FROM execution.enrichment_batches"
        ).fetchone()
        ledger = {
            r["entry"]: r["credits"]
            for r in conn.execute("SELECT entry, credits FROM execution.credit_ledger")
        }
    assert batch["state"] == "failed" and batch["last_error"].startswith("unknown_provider")
    assert ledger == {"reserve": 2, "spend": 0, "release": 2}
