"""Erasure: remove a subject (by handle, e-mail or phone) from Tier 1, Tier 2, Tier 3, the
provider answers and the staged objects, and tell every consumer that was given its card.

`request_erasure` finds the subject's cards and records the request (with the identifier's
sha256, never the identifier) and an `erase` job in one transaction; `sxp erase` then runs it
at once, the API leaves it to the worker. The job, each phase safe to kill and rerun:
1. tiers  — one transaction: a tombstone per card in the handoff sequence, Tier 2 contacts and
            businesses, the card's results in stored provider answers, Tier 3 cards, Tier 1
            profiles; the audit `erasure` event (counts only); an export job, so tombstones
            leave at once (webhook and queue consumers are told within the run);
2. objects — staged objects that hold the subject (its files' normalized parts and card parts,
            every rejects part) are rewritten without its lines; then the request is done and
            forgets the handles it looked for.
Export hands each consumer that was ever given an erased card an `erased` withdrawal
(`versions.jsonl`), tracked and audited like any delivery.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from dataclasses import dataclass
from typing import Any

import orjson

from sxp.adapters.postgres import erasures as repo
from sxp.adapters.postgres import queue
from sxp.adapters.postgres.audit import record_event
from sxp.adapters.postgres.erasures import Erasure
from sxp.adapters.postgres.queue import Job
from sxp.bootstrap import App
from sxp.domain.normalize import normalize_handle
from sxp.domain.quality import RowRejected
from sxp.errors import InputError
from sxp.logs import get_logger
from sxp.pipeline.jobs import ErasePayload, check_lease, payload_of

log = get_logger("erase")
PLATFORMS = ("x", "tiktok", "threads")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class ErasureReport:
    id: int
    state: str
    subject_kind: str
    cards: int
    removed: dict[str, Any]


def normalized_subject(kind: str, value: str) -> str:
    """The identifier as the tiers hold it, or InputError naming what is wrong."""
    value = value.strip()
    if kind == "handle":
        platform, sep, raw = value.partition(":")
        platform = platform.strip().lower()
        if not sep or platform not in PLATFORMS:
            raise InputError("a handle is PLATFORM:HANDLE with a platform of x, tiktok or"
                             " threads", "bad_erasure_subject")
        try:
            handle, _ = normalize_handle(raw, platform)
        except RowRejected as exc:
            raise InputError(f"not a {platform} handle ({exc.code})",
                             "bad_erasure_subject") from None
        return f"{platform}:{handle}"
    if kind == "email":
        if not _EMAIL.match(value):
            raise InputError("not an e-mail address", "bad_erasure_subject")
        return value.lower()
    if kind == "phone":
        digits = re.sub(r"\D", "", value)
        if len(digits) == 10:
            digits = "1" + digits
        if not 11 <= len(digits) <= 15:
            raise InputError("a phone is 10 digits (US) or an E.164 number", "bad_erasure_subject")
        return f"+{digits}"
    raise InputError(f"unknown subject kind {kind!r} (handle, email, phone)",
                     "bad_erasure_subject")


def request_erasure(app: App, *, kind: str, value: str, requested_by: str) -> Erasure:
    subject = normalized_subject(kind, value)
    digest = hashlib.sha256(f"{kind}:{subject}".encode()).hexdigest()
    with app.connect() as conn, conn.transaction():
        cards, profiles, handles = repo.subject_cards(conn, kind=kind, value=subject)
        if kind == "handle":
            handles = sorted({*handles, subject})
        erasure = repo.record_request(
            conn, kind=kind, subject_sha256=digest, card_ids=cards,
            source_file_ids=repo.source_files_of(conn, profiles), handles=handles,
            requested_by=requested_by)
        queue.enqueue(conn, "erase", {"erasure_id": erasure.id},
                      queueing_lock=f"erase:{erasure.id}")
    log.info("erasure requested", extra={"erasure_id": erasure.id, "subject_kind": kind,
                                         "cards": len(cards)})
    return erasure


def run_job(app: App, job: Job) -> None:
    erase(app, payload_of(job, ErasePayload).erasure_id, job=job)


def erase(app: App, erasure_id: int, *, job: Job | None = None) -> ErasureReport:
    """Carry the erasure through (each phase once); its report."""
    with app.connect() as conn:
        with conn.transaction():
            erasure = repo.lock(conn, erasure_id)
            if erasure is None:
                raise InputError(f"no erasure has id {erasure_id}", "unknown_erasure")
            if erasure.state == "requested":
                _remove_from_tiers(conn, erasure)
        erasure = repo.get(conn, erasure_id) or erasure
        conn.commit()
        if erasure.state == "objects":
            check_lease()
            rewritten = _rewrite_staged(app, erasure)
            with conn.transaction():
                repo.mark(conn, erasure.id, "done", rewritten)
                if job is not None:
                    queue.complete(conn, job)
        elif job is not None:
            with conn.transaction():
                queue.complete(conn, job)
        done = repo.get(conn, erasure_id)
    assert done is not None
    log.info("erasure done", extra={"erasure_id": done.id, "removed": done.removed})
    return ErasureReport(done.id, done.state, done.subject_kind, len(done.card_ids),
                         done.removed)


def _remove_from_tiers(conn: repo.Conn, erasure: Erasure) -> None:
    profiles = repo.profiles_of(conn, erasure.card_ids, erasure.match_handles or [])
    removed = repo.remove_from_tiers(conn, erasure, profiles)
    record_event(conn, event_type="erasure", actor="sxp-erase", service="erase",
                 batch_id=f"erasure-{erasure.id}", outcome="ok",
                 details={"erasure_id": erasure.id, "subject_kind": erasure.subject_kind,
                          "requested_by": erasure.requested_by, **removed})
    repo.mark(conn, erasure.id, "objects", removed)
    queue.enqueue(conn, "export", {}, queueing_lock="export")


def _rewrite_staged(app: App, erasure: Erasure) -> dict[str, int]:
    """Rewrite every staged object holding one of the subject's handles without those lines."""
    handles = {tuple(h.split(":", 1)) for h in erasure.match_handles or []}
    needles = [re.compile(rf"(?<![a-z0-9_.]){re.escape(h)}(?![a-z0-9_])") for _, h in handles]
    stage = app.settings.stage_prefix
    prefixes = [f"{stage}file-{sid:08d}/" for sid in erasure.source_file_ids] + [f"{stage}cards/"]
    keys = {o.key for p in prefixes for o in app.store.list(p)}
    keys |= {o.key for o in app.store.list(stage) if "/rejects/" in o.key}
    objects = lines = 0
    for key in sorted(keys):
        check_lease()
        dropped = _rewrite(app, key, handles, needles if "/rejects/" in key else [])
        if dropped:
            objects, lines = objects + 1, lines + dropped
    return {"staged_objects_rewritten": objects, "staged_lines_removed": lines}


def _rewrite(app: App, key: str, handles: set[tuple[str, ...]],
             needles: list[re.Pattern[str]]) -> int:
    """Drop the lines of the subject: rows with its platform and handle; in rejects (raw
    excerpts), any line naming the handle as a word."""
    raw = app.store.get_bytes(key)
    zipped = key.endswith(".gz")
    text = gzip.decompress(raw) if zipped else raw
    kept, dropped = [], 0
    for line in text.splitlines(keepends=True):
        if _holds_subject(line, handles, needles):
            dropped += 1
        else:
            kept.append(line)
    if dropped:
        body = b"".join(kept)
        app.store.put_bytes(key, gzip.compress(body, mtime=0) if zipped else body)
    return dropped


def _holds_subject(line: bytes, handles: set[tuple[str, ...]],
                   needles: list[re.Pattern[str]]) -> bool:
    try:
        row = orjson.loads(line)
    except orjson.JSONDecodeError:
        row = None
    if isinstance(row, dict) and (str(row.get("platform")), str(row.get("handle"))) in handles:
        return True
    lowered = line.decode("utf-8", "replace").lower()
    return any(needle.search(lowered) for needle in needles)
