"""The enrich step's reads and its closing transactions (done, failed, dead)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg

from sxp.adapters.postgres import batches, contacts, ledger, queue
from sxp.adapters.postgres.audit import record_event
from sxp.adapters.postgres.queue import Job
from sxp.adapters.providers.base import LookupRequest, LookupResult
from sxp.logs import get_logger

log = get_logger("enrich")
SERVICE = "sxp-worker"
INPUT_KEYS = ("first_name", "last_name", "city", "state", "zip", "domain")


@dataclass
class EnrichSummary:
    batch_id: str
    state: str
    cards: int
    enriched: int
    not_found: int
    dnc: int
    credits_reserved: int
    credits_spent: int
    calls_made: int = 0
    calls_reused: int = 0


def load_cards(conn: psycopg.Connection[Any], batch_id: str) -> list[LookupRequest]:
    cards = []
    for card_id, inputs in batches.card_inputs(conn, batch_id):
        values = {
            k: (str(inputs[k]).strip() or None) if inputs.get(k) else None for k in INPUT_KEYS
        }
        cards.append(LookupRequest(card_id=card_id, recheck=int(inputs.get("recheck") or 0),
                                   **values))
    return cards


def job_actor(job: Job | None) -> str:
    """Who the audit names: the worker holding the job, or the service itself."""
    return job.worker_id if job is not None and job.worker_id else SERVICE


def summary_of(batch: dict[str, Any]) -> EnrichSummary:
    return EnrichSummary(
        batch_id=str(batch["id"]),
        state=str(batch["state"]),
        cards=int(batch["card_count"]),
        enriched=int(batch["cards_enriched"]),
        not_found=int(batch["cards_not_found"]),
        dnc=0,
        credits_reserved=int(batch["credits_reserved"]),
        credits_spent=int(batch["credits_spent"]),
    )


def close_done(
    conn: psycopg.Connection[Any],
    batch: dict[str, Any],
    cards: list[LookupRequest],
    answers: dict[int, list[tuple[str, LookupResult, int]]],
    *,
    actor: str,
    job: Job | None,
    calls: tuple[int, int],
) -> EnrichSummary:
    batch_id = str(batch["id"])
    fetched_at = datetime.now(UTC)
    enriched = not_found = dnc_cards = 0
    with conn.transaction():
        call_ids: set[int] = set()
        matches: list[tuple[LookupResult, str, int]] = []
        unmatched: list[int] = []
        outcomes: list[batches.CardOutcome] = []
        for card in cards:
            card_answers = answers.get(card.card_id, [])
            for provider, result, call_id in card_answers:
                call_ids.add(call_id)
                if result.matched:
                    matches.append((result, provider, call_id))
            matched = any(r.matched for _p, r, _c in card_answers)
            if not matched:  # a re-lookup that finds no one: nothing of an older answer stays
                unmatched.append(card.card_id)
            dnc = _card_dnc([r for _p, r, _c in card_answers])
            enriched += matched
            not_found += not matched
            dnc_cards += bool(dnc)
            reason = None if matched else ("no_match" if card_answers else "missing_inputs")
            has_phones = any(r.matched and r.person and r.person.phones
                             for _p, r, _c in card_answers)
            outcomes.append(batches.CardOutcome(
                card.card_id, "enriched" if matched else "not_found", reason, dnc, has_phones))
        contacts.upsert_results(conn, matches, fetched_at=fetched_at)
        contacts.clear_cards(conn, unmatched)
        batches.set_card_outcomes(conn, outcomes)
        contacts.mark_applied(conn, sorted(call_ids))
        spent, reserved = _settle_ledger(conn, batch)
        batches.close_done(conn, batch_id, spent=spent, enriched=enriched, not_found=not_found)
        summary = EnrichSummary(
            batch_id, "done", len(cards), enriched, not_found, dnc_cards, reserved, spent, *calls
        )
        details = {k: v for k, v in asdict(summary).items() if k not in ("batch_id", "state")}
        record_event(
            conn,
            event_type="enrichment",
            actor=actor,
            service=SERVICE,
            batch_id=batch_id,
            outcome="done",
            details={**details, "provider": batch["provider"]},
        )
        queue.enqueue(conn, "export", {}, queueing_lock="export")
        if job is not None:
            queue.complete(conn, job)
    log.info(
        "enrichment batch done",
        extra={
            "batch_id": batch_id,
            "provider": batch["provider"],
            "cards": len(cards),
            "enriched": enriched,
            "not_found": not_found,
            "credits_spent": spent,
            "credits_reserved": reserved,
            "calls_made": calls[0],
            "calls_reused": calls[1],
        },
    )
    return summary


def close_failed(
    conn: psycopg.Connection[Any],
    batch: dict[str, Any],
    exc: Exception,
    *,
    actor: str,
    state: str,
) -> None:
    """A batch that cannot finish: release what was not spent, mark its cards, audit once."""
    batch_id = str(batch["id"])
    reason = str(getattr(exc, "reason_code", None) or type(exc).__name__)
    status = getattr(exc, "status", None)
    with conn.transaction():
        spent, reserved = _settle_ledger(conn, batch)
        batches.close_failed(conn, batch_id, state=state, spent=spent,
                             error=f"{reason}: HTTP {status}", reason=reason)
        record_event(
            conn,
            event_type="enrichment",
            actor=actor,
            service=SERVICE,
            batch_id=batch_id,
            outcome=state,
            details={
                "provider": batch["provider"],
                "reason_code": reason,
                "status_code": status,
                "cards": batch["card_count"],
                "credits_reserved": reserved,
                "credits_spent": spent,
            },
        )
    log.warning(
        "enrichment batch %s",
        state,
        extra={
            "batch_id": batch_id,
            "provider": batch["provider"],
            "reason_code": reason,
            "status_code": status,
            "credits_spent": spent,
            "credits_reserved": reserved,
        },
    )


def _card_dnc(results: list[LookupResult]) -> bool | None:
    phones = [p for r in results if r.person for p in r.person.phones]
    if not phones:
        return None
    return any(p.dnc for p in phones)


def _settle_ledger(conn: psycopg.Connection[Any], batch: dict[str, Any]) -> tuple[int, int]:
    """Per provider reserved for the batch: `spend` = credits its calls paid (priced with that
    provider's prices when stored); `release` = reserved − spent. Once each per provider."""
    batch_id = str(batch["id"])
    paid = contacts.batch_credits_by_provider(conn, batch_id)
    spent_total = 0
    for reservation in ledger.reservations(conn, batch_id):
        # a reservation made before 050 may name the whole chain ("skiptrace,apollo")
        spent = sum(paid.get(p, 0) for p in reservation.provider.split(","))
        spent_total += spent
        ledger.settle(conn, batch_id, reservation, spent)
    return spent_total, int(batch["credits_reserved"])
