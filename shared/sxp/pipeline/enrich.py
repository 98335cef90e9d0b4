"""Enrich step: one job per enrichment batch → Tier 2 contacts, cards marked, credits settled.

For each provider of the batch (a waterfall when `provider` lists several, e.g.
"skiptrace,apollo"), the batch's cards are sent in chunks of the provider's bulk size. Each
response is stored in `contact.provider_calls` under its request hash *before* it is applied,
so a rerun after a crash reuses it and never pays twice. The final transaction writes contacts
and businesses, marks cards, settles the credit ledger, closes the batch, writes one audit event,
enqueues `export` and completes the job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import psycopg

from sxp.adapters.postgres import batches, contacts, queue
from sxp.adapters.postgres.queue import Job
from sxp.adapters.providers.base import EnrichmentProvider, LookupRequest, LookupResult
from sxp.adapters.providers.resilience import WAIT_REASONS as PROVIDER_WAIT_REASONS
from sxp.bootstrap import App
from sxp.domain.budget import billed_credits
from sxp.errors import (
    ConfigError,
    InputError,
    JobPostponed,
    LeaseLost,
    ProviderFatal,
    ProviderRetryable,
)
from sxp.logs import get_logger
from sxp.pipeline import enrich_settle as settle
from sxp.pipeline.jobs import EnrichPayload, check_lease, payload_of

log = get_logger("enrich")
REQUIRED_INPUTS = {
    "skiptrace": ("first_name", "last_name", "city", "state"),
    "apollo": ("first_name", "last_name", "domain"),
}
WAIT_REASONS = PROVIDER_WAIT_REASONS | {"batch_busy"}


@dataclass
class Lookups:
    """What the providers said, per card, with the call each answer came from."""

    answers: dict[int, list[tuple[str, LookupResult, int]]] = field(default_factory=dict)
    calls_made: int = 0
    calls_reused: int = 0

    def add(self, provider: str, call_id: int, results: Sequence[LookupResult]) -> None:
        for result in results:
            self.answers.setdefault(result.card_id, []).append((provider, result, call_id))

    def satisfied(self, card_id: int) -> bool:
        """Waterfall stop rule: an e-mail and a phone were found for the card."""
        found = [r for _p, r, _c in self.answers.get(card_id, []) if r.person]
        return any(r.person and r.person.emails for r in found) and any(
            r.person and r.person.phones for r in found
        )


def run_job(app: App, job: Job) -> None:
    batch_id = payload_of(job, EnrichPayload).batch_id
    try:
        enrich_batch(app, batch_id, job=job)
    except ProviderRetryable as exc:
        if exc.reason_code in WAIT_REASONS:
            _postpone(job, exc)
        if job.attempts >= job.max_attempts:
            _close_failed(app, batch_id, exc, state="dead", job=job)
        raise
    except (ProviderFatal, InputError, LeaseLost):
        raise  # the batch is already closed, does not exist, or is another worker's now
    except Exception as exc:  # noqa: BLE001 - a batch that dies must release its reservation
        if job.attempts >= job.max_attempts:
            _close_failed(app, batch_id, exc, state="dead", job=job)
        raise


def _postpone(job: Job, exc: ProviderRetryable) -> None:
    """Circuit open, error budget spent or batch busy: wait without spending an attempt."""
    log.info(
        "enrichment batch waiting",
        extra={
            "batch_id": job.payload.get("batch_id"),
            "reason_code": exc.reason_code,
            "retry_in_s": exc.retry_after_s,
        },
    )
    raise JobPostponed(
        f"provider not available: {exc.reason_code}", exc.reason_code,
        retry_after_s=exc.retry_after_s or 30.0,
    ) from exc


def enrich_batch(
    app: App, batch_id: str, *, job: Job | None = None, actor: str | None = None
) -> settle.EnrichSummary:
    with cast("psycopg.Connection[Any]", app.connect()) as conn:
        conn.autocommit = True
        if not batches.try_lock(conn, batch_id):
            raise ProviderRetryable(
                f"batch {batch_id} is being enriched elsewhere", "batch_busy", retry_after_s=30
            )
        batch = batches.load_batch(conn, batch_id)
        if batch is None:
            raise InputError(f"unknown enrichment batch {batch_id}", "unknown_batch")
        actor = actor or settle.job_actor(job)
        if batch["state"] in batches.CLOSED_STATES:
            with conn.transaction():
                if batch["state"] != "done":
                    _return_cards_to_gate(conn, batch_id)
                if job is not None:
                    queue.complete(conn, job)
            return settle.summary_of(batch)
        with conn.transaction():
            batches.mark_running(conn, batch_id)
        cards = settle.load_cards(conn, batch_id)
        try:
            lookups = _look_up(app, conn, batch_id, str(batch["provider"]), cards)
        except ProviderFatal as exc:
            settle.close_failed(conn, batch, exc, actor=actor, state="failed")
            raise
        return settle.close_done(
            conn,
            batch,
            cards,
            lookups.answers,
            actor=actor,
            job=job,
            calls=(lookups.calls_made, lookups.calls_reused),
        )


def _return_cards_to_gate(conn: psycopg.Connection[Any], batch_id: str) -> None:
    """A retried job of a closed, failed batch: its credits were released and the ledger holds
    one reservation per batch, so the cards go back to the gate, which re-batches and
    re-reserves them within budget."""
    returned = batches.return_failed_cards(conn, batch_id)
    if returned:
        queue.enqueue(conn, "gate", {}, queueing_lock="gate")
        log.info(
            "failed batch cards back to the gate",
            extra={"batch_id": batch_id, "cards": returned},
        )


def _look_up(
    app: App,
    conn: psycopg.Connection[Any],
    batch_id: str,
    providers: str,
    cards: list[LookupRequest],
) -> Lookups:
    lookups = Lookups()
    for name in [p.strip() for p in providers.split(",") if p.strip()]:
        try:
            provider = app.provider(name)
        except ConfigError as exc:
            raise ProviderFatal(exc.message, exc.reason_code) from None
        needed = REQUIRED_INPUTS.get(name, ())
        pending = [
            c
            for c in cards
            if not lookups.satisfied(c.card_id) and all(getattr(c, k) for k in needed)
        ]
        prices = app.settings.prices_of(name)
        for start in range(0, len(pending), provider.max_batch):
            chunk = pending[start : start + provider.max_batch]
            _call_once(conn, provider, batch_id, chunk, lookups, prices=prices,
                       default_price=app.settings.credits_per_lookup)
    return lookups


def _call_once(
    conn: psycopg.Connection[Any],
    provider: EnrichmentProvider,
    batch_id: str,
    chunk: list[LookupRequest],
    lookups: Lookups,
    *,
    prices: dict[str, int],
    default_price: int,
) -> None:
    """Reuse a stored answer for the same request, or call and store it before applying.

    A new answer's credits are its billed units at the provider's configured prices."""
    from sxp.adapters.providers.base import request_hash

    check_lease()  # a lost lease stops before paying for another call
    stored = contacts.find_call(conn, request_hash(provider.name, chunk))
    if stored is not None:
        call_id, response = stored
        lookups.calls_reused += 1
    else:
        response = provider.lookup(chunk)
        if response.billed:
            response = response.model_copy(
                update={"credits_used": billed_credits(response.billed, prices, default_price)}
            )
        with conn.transaction():
            call_id = contacts.record_call(conn, response, batch_id, [c.card_id for c in chunk])
        lookups.calls_made += 1
    lookups.add(provider.name, call_id, response.results)


def _close_failed(
    app: App, batch_id: str, exc: Exception, *, state: str, job: Job | None
) -> None:
    with app.connect() as conn:
        conn.autocommit = True
        batch = batches.load_batch(conn, batch_id)
        if batch is not None and batch["state"] in ("reserved", "running"):
            settle.close_failed(conn, batch, exc, actor=settle.job_actor(job), state=state)
