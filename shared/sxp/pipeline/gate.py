"""Gate step: choose the cards to enrich within the credit budget and queue their batches.

In ONE transaction, serialized against every other gate by a transaction advisory lock on the
budget: read today's reservations and releases per provider from the credit ledger, pick
eligible cards (labels and thresholds from the rules file, enrichability of the provider's
inputs), mark the others `ineligible` with their reason, form batches of at most
`enrich_batch_size` (<= 250) cards within each provider's min(run budget, what is left of its
day budget) (`Settings.budget_of`, prices from `Settings.prices_of`), insert
`enrichment_batches`, write a `reserve` row per batch and provider in `credit_ledger`, set the cards
`queued`, enqueue one `enrich {"batch_id"}` job per batch (queueing lock `enrich:<batch_id>`)
and `export {}` (queueing lock "export"), and complete the gate job. Eligible cards beyond the
budget stay `new` with reason `budget_exhausted`. `dry_run=True` computes the same plan and
its cost per provider (cards, worst-case calls, credits) and writes nothing.

A pass costs what changed plus what it buys, not the pool: fresh cards are decided in one
indexed statement, and eligible ones are read best first by index only until the budget ends
(`sxp.adapters.postgres.gate_cards`).
"""

from __future__ import annotations

import uuid
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import psycopg

from sxp.adapters.postgres import batches, gate_cards, ledger, queue, runs
from sxp.adapters.postgres import cards as repo
from sxp.adapters.postgres.queue import Job
from sxp.bootstrap import App
from sxp.config import Settings
from sxp.domain.budget import lookup_price
from sxp.domain.enrichability import PROVIDER_NEEDS
from sxp.domain.gate import (
    BUDGET_EXHAUSTED,
    Allocator,
    GateCard,
    available_credits,
    priority_key,
)
from sxp.domain.rules import Ruleset
from sxp.logs import get_logger
from sxp.pipeline.jobs import check_lease

log = get_logger("gate")


@dataclass
class GateResult:
    provider: str
    ruleset_version: str
    dry_run: bool
    eligible: int = 0
    ineligible: dict[str, int] = field(default_factory=dict)
    batched: int = 0
    cards_queued: int = 0
    credits_reserved: int = 0
    out_of_budget: int = 0
    credits_available: int = 0
    credits_available_by_provider: dict[str, int] = field(default_factory=dict)
    batch_ids: list[str] = field(default_factory=list)
    batch_sizes: list[int] = field(default_factory=list)
    # what enriching the affordable eligible cards would cost at each known provider (and chain)
    cost_by_provider: dict[str, dict[str, int]] = field(default_factory=dict)
    # the main chain's worst case at each of its providers: cards, calls, credits
    spend_by_provider: dict[str, dict[str, int]] = field(default_factory=dict)


def new_batch_id(now: datetime | None = None) -> str:
    day = (now or datetime.now(UTC)).strftime("%Y%m%d")
    return f"eb-{day}-{uuid.uuid4().hex[:8]}"


def _recheck_stale_dnc(conn: psycopg.Connection[Any], ruleset: Ruleset) -> None:
    """With the rules file's `dnc.recheck`, cards whose phones' DNC status went stale wait for
    this gate pass again (a fresh lookup)."""
    if ruleset.dnc.recheck:
        repo.reopen_stale_dnc(conn, ruleset.gate.enrichable_labels,
                              ruleset.dnc.max_age_days * 86400)


def gate(app: App, dry_run: bool = False, *, job: Job | None = None) -> GateResult:
    settings = app.settings
    ruleset = app.ruleset()
    provider = settings.enrich_provider
    providers = provider_chain(provider)
    with app.connect() as conn, conn.transaction():
        run_id = runs.current_run(conn)
        own_run = False
        if not dry_run:
            ledger.lock_budget(conn)
            gate_cards.hold_basis(conn)
            _recheck_stale_dnc(conn, ruleset)
            if run_id is None:  # a gate pass outside any run (`sxp gate`): a run of its own
                run_id, own_run = runs.open_run(conn, "gate"), True
        # each provider has its own day and run budget in this environment; the run budget
        # is shared by every gate pass of the run (job reruns included)
        credits = {name: _available(conn, settings, name, run_id)
                   for name in dict.fromkeys([*providers, *PROVIDER_NEEDS])}
        chains = [providers, *((name,) for name in PROVIDER_NEEDS)] if dry_run else [providers]
        allocators = {",".join(chain): _allocator(ruleset, chain, credits, settings)
                      for chain in dict.fromkeys(chains)}
        main = allocators[",".join(providers)]
        if dry_run:
            for chain, allocator in zip(dict.fromkeys(chains), allocators.values(), strict=True):
                _decide_and_buy(conn, ruleset, chain, allocator, write=False)
        else:
            _decide_and_buy(conn, ruleset, providers, main, write=True)
        result = _result(provider, ruleset, dry_run, credits, main)
        if dry_run:
            result.cost_by_provider = {name: _cost(a) for name, a in allocators.items()}
            _log_done(result)
            return result
        result.cost_by_provider = {provider: _cost(main)}
        planned, batch_costs = main.batches_by_provider()
        for card_ids, batch_credit in zip(planned, batch_costs, strict=True):
            batch_id = new_batch_id()
            batches.create_batch(conn, batch_id=batch_id, provider=provider,
                                 card_ids=card_ids, credits=batch_credit, run_id=run_id)
            queue.enqueue(conn, "enrich", {"batch_id": batch_id},
                          queueing_lock=f"enrich:{batch_id}",
                          max_attempts=settings.job_max_attempts)
            result.batch_ids.append(batch_id)
        queue.enqueue(conn, "export", {}, queueing_lock="export")
        runs.record_gate_pass(
            conn, run_id, provider=provider, eligible=result.eligible,
            cards_queued=result.cards_queued, out_of_budget=result.out_of_budget,
            ineligible=sum(result.ineligible.values()), batches=result.batched,
            credits_reserved=result.credits_reserved,
            credits_available=result.credits_available)
        if own_run and run_id is not None:
            runs.finish_run(conn, run_id)
        if job is not None:
            queue.complete(conn, job)
    _log_done(result)
    return result


def _log_done(result: GateResult) -> None:
    log.info("gate done", extra={"provider": result.provider, "dry_run": result.dry_run,
                                 "eligible": result.eligible, "batches": result.batched,
                                 "cards_queued": result.cards_queued,
                                 "credits_reserved": result.credits_reserved,
                                 "out_of_budget": result.out_of_budget,
                                 "ineligible": result.ineligible,
                                 "by_provider": result.spend_by_provider})


def _available(conn: psycopg.Connection[Any], settings: Settings, provider: str,
               run_id: int | None) -> int:
    per_day, per_run = settings.budget_of(provider)
    reserved, released = ledger.ledger_today(conn, provider)
    in_run, back_in_run = (0, 0) if run_id is None else runs.ledger_of_run(conn, run_id,
                                                                           provider)
    return available_credits(per_run=per_run, per_day=per_day, reserved_today=reserved,
                             released_today=released, reserved_in_run=in_run,
                             released_in_run=back_in_run)


def plan_cost(app: App, conn: psycopg.Connection[Any], ruleset: Ruleset,
              cards: list[GateCard]) -> dict[str, int]:
    """What a gate pass under `ruleset` would form from `cards` (waiting cards with the labels
    that ruleset gives them) within today's budgets, without writing anything."""
    providers = provider_chain(app.settings.enrich_provider)
    credits = {name: _available(conn, app.settings, name, runs.current_run(conn))
               for name in providers}
    allocator = _allocator(ruleset, providers, credits, app.settings)
    for card in sorted(cards, key=lambda c: priority_key(c, ruleset.gate)):
        allocator.offer(card)
    return _cost(allocator)


def gate_basis(ruleset: Ruleset, providers: tuple[str, ...]) -> str:
    """What eligibility is judged under: the rules file's version, its gate policy (labels and
    thresholds: a file edited without a new version still changes it) and the provider chain."""
    policy = orjson.dumps(ruleset.gate.model_dump(), option=orjson.OPT_SORT_KEYS).decode()
    return f"{ruleset.version}|{','.join(providers)}|{policy}"


def worth_a_pass(app: App, conn: psycopg.Connection[Any]) -> bool:
    """Whether a gate pass would decide or buy anything: cards no pass has decided, a basis
    that changed (every waiting card is judged again), or cards waiting for budget while a
    provider of the chain has credits left in today's and this run's budgets."""
    if gate_cards.has_fresh(conn):
        return True
    if not gate_cards.has_waiting(conn):
        return False
    chain = provider_chain(app.settings.enrich_provider)
    if gate_cards.basis(conn) != gate_basis(app.ruleset(), chain):
        return True
    run_id = runs.current_run(conn)
    return any(_available(conn, app.settings, name, run_id) > 0 for name in chain)


def _decide_and_buy(conn: psycopg.Connection[Any], ruleset: Ruleset,
                    chain: tuple[str, ...], allocator: Allocator, *, write: bool) -> None:
    """Decide the cards waiting for the gate, then offer the eligible ones best first until
    the budget ends; the eligible cards not read are counted out of budget.

    Writing, only the fresh cards are decided (all of them when the basis changed), in one
    statement: the rest were judged eligible before and wait for budget, and are counted from
    an index. A dry run counts what deciding every waiting card would give.
    """
    version, policy = ruleset.version, ruleset.gate
    if write:
        basis = gate_basis(ruleset, chain)
        ineligible = gate_cards.decide(conn, version, policy, chain,
                                       everything=gate_cards.basis(conn) != basis)
        gate_cards.record_basis(conn, basis)
    else:
        ineligible = gate_cards.count_reasons(conn, version, policy, chain)
    read, cut = 0, False
    with closing(gate_cards.iter_eligible(conn, version, policy, chain,
                                          decided=write)) as eligible:
        for card in eligible:
            if read % 1000 == 0:
                check_lease()
            read += 1
            if allocator.offer(card) == BUDGET_EXHAUSTED:
                cut = True
                break
    # every eligible card read, or the budget ended first: the rest are counted
    total = gate_cards.count_eligible(conn, version, policy, chain, decided=write) if cut else read
    allocator.account_unread(eligible=total, ineligible=ineligible)


def run_job(app: App, job: Job) -> None:
    gate(app, job=job)


def provider_chain(setting: str) -> tuple[str, ...]:
    """`SXP_ENRICH_PROVIDER` names one provider or a waterfall: "skiptrace,apollo"."""
    return tuple(p.strip() for p in setting.split(",") if p.strip())


def _allocator(ruleset: Ruleset, providers: tuple[str, ...], credits: dict[str, int],
               settings: Settings) -> Allocator:
    prices = {p: lookup_price(p, settings.prices_of(p), settings.credits_per_lookup)
              for p in providers}
    return Allocator(ruleset.gate, providers=providers,
                     available_credits={p: credits[p] for p in providers},
                     price_per_lookup=prices, batch_size=settings.enrich_batch_size)


def _result(provider: str, ruleset: Ruleset, dry_run: bool, credits: dict[str, int],
            main: Allocator) -> GateResult:
    batches, batch_credits = main.batches()
    chain = main.providers
    return GateResult(
        provider=provider, ruleset_version=ruleset.version, dry_run=dry_run,
        eligible=len(main.chosen) + main.out_of_budget, ineligible=dict(main.ineligible),
        batched=len(batches), cards_queued=len(main.chosen),
        credits_reserved=sum(batch_credits), out_of_budget=main.out_of_budget,
        credits_available=min(credits[p] for p in chain),
        credits_available_by_provider={p: credits[p] for p in chain},
        batch_sizes=[len(b) for b in batches], spend_by_provider=_spend(main))


def _spend(main: Allocator) -> dict[str, dict[str, int]]:
    """Per provider of the chain: cards it may be sent, worst-case calls, reserved credits."""
    from sxp.adapters.providers.registry import bulk_calls

    _ids, costs = main.batches_by_provider()
    out = {}
    for name in main.providers:
        per_batch = main.cards_at(name)
        out[name] = {"cards": sum(len(b) for b in per_batch),
                     "calls": sum(bulk_calls(name, len(b)) for b in per_batch),
                     "credits": sum(c[name] for c in costs),
                     "available": main.left[name] + sum(c[name] for c in costs)}
    return out


def _cost(allocator: Allocator) -> dict[str, int]:
    batches, batch_credits = allocator.batches()
    return {"eligible": len(allocator.chosen) + allocator.out_of_budget,
            "cards": len(allocator.chosen), "batches": len(batches),
            "credits": sum(batch_credits)}
