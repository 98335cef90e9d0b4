"""Cards step: build or refresh Tier 3 lead cards from Tier 1 profiles.

A profile gets a card when it has none, and its card is refreshed when the profile's
content_hash changed (`lead_cards.profile_hash` is the hash the card was built from): signals,
scores, enrichment inputs and labels are computed (the labels by the rules file, as the label
step would: it then finds these cards current and rewrites none of them), and with them the
gate's decision when the cards are judged under the gate's recorded basis; an enriched card
goes back to the gate only as the rules file's re-enrichment rule says. One job
brings every stale card up to date, so a re-run finds nothing to do and writes nothing. The
cards it built are also staged as `stage/<run>/cards/part-00000.jsonl.gz`, with the run named
as ingest names it (`file-<source_file_id:08d>`).
All writes, the `label` job and the completion of this job commit in one transaction.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from sxp.adapters.postgres import cards as repo
from sxp.adapters.postgres import gate_cards, queue
from sxp.adapters.postgres.queue import Job
from sxp.bootstrap import App
from sxp.domain.rules import ReenrichPolicy, Ruleset
from sxp.logs import get_logger
from sxp.pipeline.cards_parallel import (
    CardBuild,
    CardChunk,
    ProfileSource,
    card_scorer,
    worker_count,
)
from sxp.pipeline.gate import gate_basis, provider_chain
from sxp.pipeline.jobs import CardsPayload, check_lease, payload_of, report_progress

log = get_logger("cards")
CHUNK_PROFILES = 5000  # profiles scored, copied and written together
# a step that writes at least this many cards, and a tenth of the table (autovacuum's rule),
# refreshes the planner's statistics before it commits, so the steps after it plan for the
# table as it is now rather than as autovacuum last saw it
STATISTICS_MIN_CARDS = 10_000


@dataclass(frozen=True)
class CardsResult:
    cards_written: int
    stage_key: str | None


def stage_key(app: App, source_file_id: int | None) -> str:
    """`stage/<run>/cards/part-00000.jsonl.gz`, the run named as ingest names it."""
    from sxp.pipeline.ingest import stage_run

    run = stage_run(source_file_id) if source_file_id is not None else "cards"
    return f"{app.settings.stage_prefix}{run}/cards/part-00000.jsonl.gz"


def build_cards(app: App, *, source_file_id: int | None = None, job: Job | None = None,
                chunk_profiles: int = CHUNK_PROFILES) -> CardsResult:
    """Build/refresh every stale card (of one file's changes, when given: each ingest queues
    the cards job of its file in its own commit, so every changed profile has one); enqueue
    `label` and complete `job` in the same commit. Each chunk of `chunk_profiles` is written
    as it comes back scored, so Postgres writes one chunk while the workers score the next."""
    key = stage_key(app, source_file_id)
    with tempfile.TemporaryDirectory(prefix="sxp-cards-") as tmp:
        part = os.path.join(tmp, "part-00000.jsonl.gz")
        ruleset = app.ruleset()
        policy = ruleset.reenrich
        with app.connect() as conn, conn.transaction():
            repo.hold_profiles(conn)
            repo.start_card_copy(conn)
            staged = written = 0
            ranges = repo.stale_ranges(conn, chunk_profiles, source_file_id=source_file_id)
            total = sum(r.count for r in ranges)
            cards_before = repo.card_count_estimate(conn)
            source = ProfileSource(conn, app.database_uri, app.settings.db_role)
            # nothing stale: no basis to adopt, and no card is built with this one
            build = _card_build(app, conn, ruleset) if ranges else CardBuild("")
            with (open(part, "wb") as out,  # gzip members, one per chunk
                  card_scorer(ruleset, build, source, worker_count(total)) as score):
                for chunk in score(ranges):
                    check_lease()
                    written += write_chunk(conn, chunk, policy)
                    out.write(chunk.staged)
                    staged += chunk.count
                    report_progress(staged, total, "profiles")
            if statistics_stale(written, cards_before):
                repo.refresh_card_statistics(conn)
            if staged:
                # written before the commit: a crash between the two re-stages the same cards
                app.store.put_file(key, Path(part), content_type="application/gzip")
            payload: dict[str, Any] = {"source_file_id": source_file_id}
            # no queueing lock: a label job already running may have passed these cards by
            queue.enqueue(conn, "label", payload)
            if job is not None:
                queue.complete(conn, job)
    log.info("cards built", extra={"source_file_id": source_file_id, "cards": written,
                                   "staged": staged})
    return CardsResult(cards_written=written, stage_key=key if staged else None)


def statistics_stale(written: int, cards_before: int) -> bool:
    """Whether writing `written` cards to a table of `cards_before` (as the planner knew it)
    leaves its statistics stale."""
    return written >= STATISTICS_MIN_CARDS and written * 10 >= cards_before


def write_chunk(conn: psycopg.Connection[Any], chunk: CardChunk, policy: ReenrichPolicy) -> int:
    """A chunk's new cards copied into lead_cards, its changed ones upserted. A card another
    step built meanwhile for one of the new profiles fails the copy: then the chunk's new
    cards are upserted too (the savepoint undoes the copy), as the rows of a changed card."""
    written = 0
    upserted = [chunk.changed_cards]
    if chunk.new_cards:
        try:
            with conn.transaction():
                written += repo.copy_new_cards(conn, chunk.new_cards)
        except psycopg.errors.UniqueViolation:
            log.info("cards built meanwhile by another step: upserting the chunk's new cards")
            upserted.append(chunk.new_cards)
    rows = b"".join(upserted)
    if rows:
        repo.copy_card_rows(conn, rows)
        written += repo.apply_card_copy(conn, reenrich_on_input_change=policy.on_input_change,
                                        reenrich_min_age_s=policy.min_age_days * 86400)
    return written


def _card_build(app: App, conn: psycopg.Connection[Any], ruleset: Ruleset) -> CardBuild:
    """The cards are written with the gate's decision when they are judged under the basis
    the gate passes record (this step's rules file and provider chain), so no pass rewrites a
    million fresh cards only to decide them; under another basis they are left fresh."""
    labeled_at = repo.transaction_time(conn)
    chain = provider_chain(app.settings.enrich_provider)
    if not gate_cards.adopt_basis(conn, gate_basis(ruleset, chain)):
        return CardBuild(labeled_at)
    return CardBuild(labeled_at, ruleset.gate, chain)


def run_job(app: App, job: Job) -> None:
    build_cards(app, source_file_id=payload_of(job, CardsPayload).source_file_id, job=job)
