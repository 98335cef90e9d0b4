"""The summary of one pipeline run (`sxp run`, `make demo`): per file what it read, loaded and
rejected, the failed files and why, cards by execution label, the gate's results (what the
budget left out included), enrichment per provider, the batches per consumer and where they
are, and what is still waiting (jobs held by a process that died, with their lease left)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sxp.adapters.postgres import queue
from sxp.adapters.postgres import run_summary as repo
from sxp.adapters.postgres import status as status_repo
from sxp.bootstrap import App
from sxp.pipeline.leases import holder_is_gone
from sxp.pipeline.run import RunResult

# a file with at least this share of its rows rejected is flagged in the summary
MOSTLY_REJECTED = 0.5


@dataclass
class FileLine:
    id: int
    key: str
    state: str
    rows_read: int
    rows_loaded: int
    rows_unchanged: int
    rows_deduped: int
    rows_rejected: int
    rows_suppressed: int
    reason_code: str | None = None
    reason: str | None = None
    rejects: str | None = None  # where its rejects are

    @property
    def mostly_rejected(self) -> bool:
        return self.rows_read > 0 and self.rows_rejected / self.rows_read >= MOSTLY_REJECTED


@dataclass
class WaitingJob:
    id: int
    kind: str
    state: str
    attempts: int
    due_in_s: float | None
    lease_left_s: float | None
    holder_gone: bool


@dataclass
class RunSummary:
    run_id: int
    jobs: dict[str, int]
    files: list[FileLine] = field(default_factory=list)
    cards_by_execution_label: dict[str, int] = field(default_factory=dict)
    gate: dict[str, int] = field(default_factory=dict)
    enrichment: list[dict[str, Any]] = field(default_factory=list)
    batches: list[dict[str, Any]] = field(default_factory=list)
    waiting: list[WaitingJob] = field(default_factory=list)
    dead_jobs: list[dict[str, Any]] = field(default_factory=list)
    released_jobs: list[int] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """The run finished with failures: a failed file or a dead job."""
        return bool(self.dead_jobs) or any(f.state == "failed" for f in self.files)

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        for line, file in zip(out["files"], self.files, strict=True):
            line["mostly_rejected"] = file.mostly_rejected
        out["failed"] = self.failed
        return out


def summarize(app: App, result: RunResult) -> RunSummary:
    with app.connect() as conn:
        by_label = status_repo.grouped(conn, "cards_by_execution_label")
        dead = queue.dead_jobs(conn)
        files = repo.files_finished_since(conn, result.started_at)
        gate = repo.gate_passes_of_run(conn, result.run_id)
        enrichment = repo.enrichment_of_run(conn, result.run_id)
        batches = repo.batches_since(conn, result.started_at)
        waiting = repo.jobs_waiting(conn)
    drained = result.drained
    summary = RunSummary(
        run_id=result.run_id,
        jobs={"done": drained.done, "retried": drained.failed, "dead": drained.dead,
              "postponed": drained.postponed, "lost": drained.lost},
        cards_by_execution_label=by_label,
        gate=gate, enrichment=enrichment, dead_jobs=dead,
        released_jobs=result.released_jobs)
    for row in files:
        rejects = row.pop("rejects_key")
        summary.files.append(FileLine(**row, rejects=app.store.url(rejects) if rejects and
                                      row["rows_rejected"] else None))
    for batch in batches:
        batch["location"] = app.store.url(batch.pop("manifest_key"))
        summary.batches.append(batch)
    for job in waiting:
        holder = job.pop("locked_by")
        summary.waiting.append(WaitingJob(**job, holder_gone=bool(holder)
                                          and holder_is_gone(holder)))
    return summary
