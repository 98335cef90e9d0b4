"""Retention step: remove what is older than its kind's period, and keep the same periods as
lifecycle rules on the bucket, so old objects go even while sxp is down.

Periods come from `Settings.retention` (per environment, `sxp.domain.retention`). One pass:
1. objects under the inbox, `stage/` and the exports prefix, by kind (`rejects` are the
   `…/rejects/` parts of `stage/`), deleted when written before their period;
2. stored provider answers older than theirs are cleared (the call rows stay), and audit rows
   older than the audit period pruned, an anchor keeping the rest of the chain verifiable;
3. the bucket's lifecycle expiration rules set to the same periods, one per prefix (`stage/`
   gets the longer of the staged and rejects periods: a bucket rule sees only prefixes); on
   the local folder store there are none and this step alone removes old objects;
4. an audit `retention` event with the counts.
Running it twice removes nothing more.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sxp.adapters.objectstore.base import ExpirationRule
from sxp.adapters.postgres import audit, contacts, queue
from sxp.adapters.postgres.audit import record_event
from sxp.adapters.postgres.queue import Job
from sxp.bootstrap import App
from sxp.domain.retention import KINDS, is_expired, kind_of
from sxp.logs import get_logger
from sxp.pipeline.jobs import check_lease

log = get_logger("retention")


@dataclass
class RetentionReport:
    days: dict[str, int]
    removed: dict[str, int] = field(default_factory=dict)
    answers_cleared: int = 0
    audit_rows_pruned: int = 0
    lifecycle_rules: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False


def lifecycle_rules(app: App) -> list[ExpirationRule]:
    s, days = app.settings, app.settings.retention
    return [ExpirationRule("sxp-inbox", s.inbox_prefix, days["inbox"]),
            ExpirationRule("sxp-stage", s.stage_prefix, max(days["staged"], days["rejects"])),
            ExpirationRule("sxp-exports", s.exports_prefix, days["exports"])]


def run_retention(app: App, *, now: datetime | None = None, dry_run: bool = False,
                  job: Job | None = None) -> RetentionReport:
    s = app.settings
    moment = now or datetime.now(UTC)
    report = RetentionReport(days=s.retention, dry_run=dry_run)
    removed: Counter[str] = Counter()
    for prefix in (s.inbox_prefix, s.stage_prefix, s.exports_prefix):
        for obj in list(app.store.list(prefix)):
            kind = kind_of(obj.key, inbox=s.inbox_prefix, stage=s.stage_prefix,
                           exports=s.exports_prefix)
            if kind is not None and is_expired(obj.last_modified, report.days[kind], moment):
                check_lease()
                if not dry_run:
                    app.store.delete(obj.key)
                removed[kind] += 1
    report.removed = {k: removed[k] for k in ("inbox", "staged", "rejects", "exports")}
    rules = lifecycle_rules(app)
    report.lifecycle_rules = [vars(r) for r in rules]
    with app.connect() as conn, conn.transaction():
        before = moment - timedelta(days=report.days["provider_answers"])
        if dry_run:
            report.answers_cleared = contacts.answers_before(conn, before)
        else:
            report.answers_cleared = contacts.clear_answers_before(conn, before)
            report.audit_rows_pruned = audit.prune_before(
                conn, moment - timedelta(days=report.days["audit"]))
            applied = app.store.set_expiration_rules(rules)
            record_event(conn, event_type="retention", actor="sxp-retention",
                         service="retention", batch_id=f"retention-{moment:%Y%m%dT%H%M%S%f}",
                         outcome="ok", details={**report.removed,
                                                "answers_cleared": report.answers_cleared,
                                                "audit_rows_pruned": report.audit_rows_pruned,
                                                "lifecycle_rules_set": applied})
        if job is not None:
            queue.complete(conn, job)
    log.info("retention", extra={"removed": report.removed, "dry_run": dry_run,
                                 "answers_cleared": report.answers_cleared})
    return report


def run_job(app: App, job: Job) -> None:
    run_retention(app, job=job)


def oldest_by_kind(app: App) -> dict[str, str | None]:
    """The write time of the oldest object of each kind (for `sxp status`)."""
    s = app.settings
    oldest: dict[str, datetime] = {}
    for prefix in (s.inbox_prefix, s.stage_prefix, s.exports_prefix):
        for obj in app.store.list(prefix):
            kind = kind_of(obj.key, inbox=s.inbox_prefix, stage=s.stage_prefix,
                           exports=s.exports_prefix)
            if kind and obj.last_modified and (kind not in oldest
                                               or obj.last_modified < oldest[kind]):
                oldest[kind] = obj.last_modified
    with app.connect() as conn:
        answer = contacts.oldest_answer(conn)
    if answer is not None:
        oldest["provider_answers"] = answer
    return {k: oldest[k].isoformat() if k in oldest else None for k in KINDS if k != "audit"}
