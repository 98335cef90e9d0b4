"""Erasure: remove a subject (by handle, e-mail or phone) from Tier 1, Tier 2, Tier 3, the
provider answers and the staged objects, and tell every consumer that was given its card.

`request_erasures` finds each subject's cards and records the requests (with the identifier's
keyed hash, never the identifier) and the `erase` job in one transaction; `sxp erase` then runs
it at once, the API leaves it to the worker. The job takes every pending request, each phase
safe to kill and rerun:
1. tiers  — one transaction: a tombstone per card in the handoff sequence, Tier 2 contacts and
            businesses, the card's results in stored provider answers, Tier 3 cards, Tier 1
            profiles; the audit `erasure` event (counts only); an export job, so tombstones
            leave at once (webhook and queue consumers are told within the run);
2. objects — staged objects that hold the subject (its files' normalized parts and card parts,
            every rejects part) are rewritten without its lines; then the request is done and
            forgets the handles it looked for.
Export hands each consumer that was ever given an erased card an `erased` withdrawal
(`versions.jsonl`), tracked and audited like any delivery. Published bundles are immutable:
the report lists those that hold the subject (ids and keys); retention removes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sxp.adapters.postgres import erasures as repo
from sxp.adapters.postgres import queue, suppressions
from sxp.adapters.postgres.audit import record_event
from sxp.adapters.postgres.erasures import Erasure
from sxp.adapters.postgres.queue import Job
from sxp.adapters.staged_lines import drop_lines
from sxp.bootstrap import App
from sxp.domain.privacy import keyed_hash, normalized_subject
from sxp.errors import InputError
from sxp.logs import get_logger
from sxp.pipeline.jobs import ErasePayload, check_lease, payload_of

log = get_logger("erase")
TIERS_CHUNK = 200  # erasures per tiers transaction


@dataclass(frozen=True)
class ErasureReport:
    id: int
    state: str
    subject_kind: str
    cards: int
    removed: dict[str, Any]


def request_erasure(app: App, *, kind: str, value: str, requested_by: str) -> Erasure:
    """Record one erasure request and queue the erase job."""
    (erasure,) = request_erasures(app, [(kind, value)], requested_by=requested_by)
    return erasure


def request_erasures(app: App, subjects: list[tuple[str, str]], *,
                     requested_by: str) -> list[Erasure]:
    """Record erasure requests (kind, identifier) in one transaction with the erase job; an
    identifier that is not one of its kind refuses them all, naming it by position."""
    key = app.privacy_key()
    normalized = []
    for n, (kind, value) in enumerate(subjects, start=1):
        try:
            normalized.append((kind, normalized_subject(kind, value)))
        except ValueError as exc:
            where = f"subject {n}: " if len(subjects) > 1 else ""
            raise InputError(f"{where}{exc}", "bad_erasure_subject") from None
    made = []
    with app.connect() as conn, conn.transaction():
        for kind, subject in normalized:
            cards, profiles, handles = repo.subject_cards(conn, kind=kind, value=subject)
            if kind == "handle":
                handles = sorted({*handles, subject})
            made.append(repo.record_request(
                conn, kind=kind, subject_hmac=keyed_hash(key, kind, subject), card_ids=cards,
                source_file_ids=repo.source_files_of(conn, profiles), handles=handles,
                requested_by=requested_by))
        queue.enqueue(conn, "erase", {}, queueing_lock="erase")
    log.info("erasures requested", extra={"erasures": len(made),
                                          "cards": sum(len(e.card_ids) for e in made)})
    return made


def run_job(app: App, job: Job) -> None:
    payload_of(job, ErasePayload)
    erase_pending(app, job=job)


def erase(app: App, erasure_id: int) -> ErasureReport:
    """Carry every pending erasure through now; the report of this one."""
    erase_pending(app)
    with app.connect() as conn:
        done = repo.get(conn, erasure_id)
    if done is None:
        raise InputError(f"no erasure has id {erasure_id}", "unknown_erasure")
    return ErasureReport(done.id, done.state, done.subject_kind, len(done.card_ids),
                         done.removed)


def erase_pending(app: App, *, job: Job | None = None) -> list[int]:
    """Every requested erasure through both phases: the tiers, a chunk of erasures per
    transaction; then one pass over the staged objects for all of them. One eraser at a time.
    The ids finished."""
    with app.connect() as lock_conn, repo.one_rewriter(lock_conn), app.connect() as conn:
        while chunk := repo.requested(conn, limit=TIERS_CHUNK):
            check_lease()
            with conn.transaction():
                for erasure in chunk:
                    _remove_from_tiers(conn, erasure, app.privacy_key())
        waiting = repo.in_objects_phase(conn)
        conn.commit()
        if waiting:
            check_lease()
            rewritten = _rewrite_staged(app, waiting)
            with conn.transaction():
                for each in waiting:
                    repo.mark(conn, each.id, "done", rewritten.get(each.id, {}))
        with conn.transaction():
            if job is not None:
                queue.complete(conn, job)
            if repo.requested(conn, limit=1):  # came in after this pass looked
                queue.enqueue(conn, "erase", {}, queueing_lock="erase")
    if waiting:
        log.info("erasures done", extra={"erasures": len(waiting)})
    return [e.id for e in waiting]


def _subject_hashes(key: bytes, erasure: Erasure, conn: repo.Conn) -> list[tuple[str, str]]:
    """Keyed hashes of every handle, e-mail and phone of the subject (kept deleted: they are
    suppressed from now on)."""
    emails, phones = suppressions.contact_points(conn, erasure.card_ids)
    entries = [(keyed_hash(key, "handle", h), "handle") for h in erasure.match_handles or []]
    for kind, values in (("email", emails), ("phone", phones)):
        for value in values:
            try:
                entries.append((keyed_hash(key, kind, normalized_subject(kind, value)), kind))
            except ValueError:
                continue
    if erasure.subject_kind != "handle":  # the identifier asked for, even if Tier 2 lacks it
        entries.append((erasure.subject_hmac, erasure.subject_kind))
    return entries


def _remove_from_tiers(conn: repo.Conn, erasure: Erasure, key: bytes) -> None:
    repo.hold_tier1_deletes(conn)
    profiles = repo.profiles_of(conn, erasure.card_ids, erasure.match_handles or [])
    built = repo.cards_of_profiles(conn, profiles)
    if not set(built) <= set(erasure.card_ids):  # a card built since the request goes too
        erasure = repo.set_cards(conn, erasure.id, sorted(set(built) | set(erasure.card_ids)))
    bundles = repo.bundles_holding(conn, erasure.card_ids)
    suppressions.add(conn, _subject_hashes(key, erasure, conn), "erasure")
    removed: dict[str, Any] = dict(repo.remove_from_tiers(conn, erasure, profiles))
    record_event(conn, event_type="erasure", actor="sxp-erase", service="erase",
                 batch_id=f"erasure-{erasure.id}", outcome="ok",
                 details={"erasure_id": erasure.id, "subject_kind": erasure.subject_kind,
                          "subject_hmac": erasure.subject_hmac,
                          "requested_by": erasure.requested_by,
                          "bundles_holding_subject": len(bundles), **removed})
    removed["bundles_holding_subject"] = bundles
    repo.mark(conn, erasure.id, "objects", removed)
    queue.enqueue(conn, "export", {}, queueing_lock="export")  # the tombstones leave at once


def _rewrite_staged(app: App, waiting: list[Erasure]) -> dict[int, dict[str, int]]:
    """Rewrite every staged object holding one of the subjects' handles without those lines;
    what each erasure removed (an object shared by several counts for each)."""
    by_handle = {tuple(h.split(":", 1)): e.id for e in waiting for h in e.match_handles or []}
    handles = set(by_handle)
    needles = [re.compile(rf"(?<![a-z0-9_.]){re.escape(h)}(?![a-z0-9_])") for _, h in handles]
    stage = app.settings.stage_prefix
    files = sorted({sid for e in waiting for sid in e.source_file_ids})
    prefixes = [f"{stage}file-{sid:08d}/" for sid in files] + [f"{stage}cards/"]
    keys = {o.key for p in prefixes for o in app.store.list(p)}
    keys |= {o.key for o in app.store.list(stage) if "/rejects/" in o.key}
    report = {e.id: {"staged_objects_rewritten": 0, "staged_lines_removed": 0}
              for e in waiting}
    for key in sorted(keys):
        check_lease()
        dropped = drop_lines(app.store, key, handles,
                             needles if "/rejects/" in key else [])
        for erasure_id, lines in _owners(dropped, by_handle).items():
            report[erasure_id]["staged_objects_rewritten"] += 1
            report[erasure_id]["staged_lines_removed"] += lines
    return report


def _owners(dropped: list[tuple[str, ...] | None], by_handle: dict[tuple[str, ...], int]
            ) -> dict[int, int]:
    """Lines removed per erasure (a rejects line found by its text counts for every erasure
    whose handle it names; here, for the first)."""
    owners: dict[int, int] = {}
    for handle in dropped:
        owner = by_handle.get(handle) if handle else next(iter(by_handle.values()))
        if owner is not None:
            owners[owner] = owners.get(owner, 0) + 1
    return owners
