"""Label step: run the rules engine over every card whose labels are missing or stale.

Labels are stale when the card's profile changed or the ruleset version changed:
`labeled_hash` = `<profile_hash>@<ruleset version>`. Persona, tribe, audience_pool,
execution_label, the ruleset version and the ids of the rules that fired are stored on the
card; then `gate {}` is enqueued (queueing lock "gate") and the job completed, in one commit.
Under a new ruleset only the cards whose labels change are written: the pass is recorded
(`execution.label_passes`), and a card it compared and found the same stays as it is, its
labels current under the new version (`cards.sql`: `unlabeled`; `gate_cards.sql`: `{current}`).
Cards already queued or enriched get their labels refreshed but are never re-gated.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson

from sxp.adapters.postgres import cards as repo
from sxp.adapters.postgres import queue
from sxp.adapters.postgres.queue import Job
from sxp.bootstrap import App
from sxp.domain.cards import label_facts
from sxp.domain.rule_compiler import Labeler, compile_ruleset
from sxp.logs import get_logger
from sxp.pipeline.jobs import CardsPayload, check_lease, payload_of, report_progress

log = get_logger("label")


@dataclass
class LabelResult:
    ruleset_version: str
    cards_labeled: int = 0
    by_execution_label: dict[str, int] = field(default_factory=dict)


def label_cards(app: App, *, source_file_id: int | None = None,
                job: Job | None = None) -> LabelResult:
    """Label the stale cards: of one source file's changes when given and this ruleset
    version has had its full pass, else every card (a full pass, then recorded)."""
    ruleset = app.ruleset()
    labeler = compile_ruleset(ruleset)
    counts: Counter[str] = Counter()
    with app.connect() as conn, conn.transaction():
        repo.start_label_copy(conn)
        full = source_file_id is None or not repo.has_label_pass(conn, ruleset.version)
        scope = None if full else source_file_id
        total, done = repo.count_unlabeled(conn, ruleset.version, source_file_id=scope), 0
        for chunk in repo.iter_unlabeled(conn, ruleset.version, source_file_id=scope):
            check_lease()
            repo.copy_labels(conn, _label_rows(labeler, ruleset.version, chunk, counts))
            done += len(chunk)
            report_progress(done, total, "cards")
        labeled = repo.apply_label_copy(conn, ruleset.version) if counts else 0
        if full:  # only a pass that compared every card says so
            repo.record_label_pass(conn, ruleset.version)
        queue.enqueue(conn, "gate", {}, queueing_lock="gate")
        if job is not None:
            queue.complete(conn, job)
    log.info("cards labeled", extra={"cards": labeled, "ruleset_version": ruleset.version,
                                     "by_execution_label": dict(counts)})
    return LabelResult(ruleset.version, labeled, dict(counts))


def _label_rows(labeler: Labeler, version: str, chunk: list[dict[str, Any]],
                counts: Counter[str]) -> list[tuple[Any, ...]]:
    rows = []
    for card in chunk:
        result = labeler(label_facts(card, card))
        labels = result.labels
        if _same_as_before(card, labels, result.rules_fired):
            continue  # current as it is: not written (no new version, no re-gate)
        counts[labels.get("execution_label") or "unlabeled"] += 1
        rows.append((card["card_id"], labels.get("persona"), labels.get("tribe"),
                     labels.get("audience_pool"), labels.get("execution_label"),
                     orjson.dumps(result.rules_fired).decode(),
                     f"{card['profile_hash']}@{version}"))
    return rows


def _same_as_before(card: dict[str, Any], labels: dict[str, str | None],
                    rules_fired: list[str]) -> bool:
    """A card labeled under another version whose profile is unchanged and whose labels come
    out the same. A card the gate refused is written anyway: the new rules may gate it."""
    return bool(card["profile_unchanged"]) and card["enrich_state"] != "ineligible" and all(
        card[f"labeled_{name}"] == labels.get(name)
        for name in ("persona", "tribe", "audience_pool", "execution_label")
    ) and (card["labeled_rules_fired"] or []) == rules_fired


def run_job(app: App, job: Job) -> None:
    label_cards(app, source_file_id=payload_of(job, CardsPayload).source_file_id, job=job)
