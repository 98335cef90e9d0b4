"""Human output for the CLI: per-step progress lines and the status/summary tables."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from sxp.adapters.postgres.queue import Job

STEP_ORDER = ["ingest", "cards", "label", "gate", "enrich", "export"]


class ProgressPrinter:
    """Called by the runner after every job; prints one line per job with running totals."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.started = time.monotonic()
        self.done: dict[str, int] = {}
        self.seconds: dict[str, float] = {}

    def __call__(self, job: Job, outcome: str, elapsed_s: float) -> None:
        self.done[job.kind] = self.done.get(job.kind, 0) + (outcome == "done")
        self.seconds[job.kind] = self.seconds.get(job.kind, 0.0) + elapsed_s
        target = ", ".join(f"{k}={v}" for k, v in job.payload.items()) or "-"
        mark = "ok" if outcome == "done" else f"FAILED ({outcome})"
        print(f"  {job.kind:<7} #{self.done[job.kind]:<4} {target:<28} {mark:<8} "
              f"{elapsed_s:6.2f}s", file=self.out, flush=True)

    def finish(self) -> None:
        parts = [f"{k} {self.done.get(k, 0)} job(s) {self.seconds.get(k, 0.0):.1f}s"
                 for k in STEP_ORDER if k in self.done]
        total = time.monotonic() - self.started
        print(f"  steps: {'; '.join(parts) or 'nothing to do'} — total {total:.1f}s",
              file=self.out, flush=True)


def summary_rows(status: dict[str, Any]) -> list[tuple[str, str]]:
    ingest, tiers = status["ingest"], status["tiers"]
    states = status["cards_by_enrich_state"]
    gated = sum(states.get(s, 0) for s in ("queued", "enriched", "not_found", "failed"))
    rows = [
        ("files ingested / failed", f"{status['source_files'].get('ingested', 0)} / "
                                    f"{status['source_files'].get('failed', 0)}"),
        ("rows read", f"{ingest['rows_read']:,}"),
        ("profiles ingested (Tier 1)", f"{tiers['tier1_profiles']:,}"),
        ("rows rejected", f"{ingest['rejected']:,}"),
        ("rows deduped", f"{ingest['deduped']:,}"),
        ("rows unchanged (re-delivered)", f"{ingest['unchanged']:,}"),
        ("  of them stale (Tier 1 held newer)", f"{ingest['stale']:,}"),
        ("rows suppressed (opt-outs, erased)", f"{ingest.get('suppressed', 0):,}"),
        ("lead cards (Tier 3)", f"{tiers['tier3_lead_cards']:,}"),
    ]
    for label, n in sorted(status["cards_by_execution_label"].items()):
        rows.append((f"  label {label}", f"{n:,}"))
    rows += [
        ("cards gated for enrichment", f"{gated:,}"),
        ("cards enriched / not found", f"{states.get('enriched', 0):,} / "
                                       f"{states.get('not_found', 0):,}"),
        ("contacts / businesses (Tier 2)", f"{tiers['tier2_contacts']:,} / "
                                           f"{tiers['tier2_businesses']:,}"),
        ("cards exported", f"{tiers['exported_cards']:,}"),
        ("audit events", f"{tiers['audit_rows']:,}"),
    ]
    if "native_ingest" in status:
        rows.append(("native ingest path", str(status["native_ingest"])))
    return rows


def print_table(rows: list[tuple[str, str]], out: TextIO | None = None) -> None:
    out = out or sys.stdout
    width = max(len(k) for k, _ in rows)
    vwidth = max(len(v) for _, v in rows)
    line = f"+-{'-' * width}-+-{'-' * vwidth}-+"
    print(line, file=out)
    for key, value in rows:
        print(f"| {key:<{width}} | {value:>{vwidth}} |", file=out)
    print(line, file=out)


def print_status(status: dict[str, Any], out: TextIO | None = None) -> None:
    out = out or sys.stdout
    print_table(summary_rows(status), out)
    print("jobs:", file=out)
    for kind in sorted(status["jobs"]):
        states = ", ".join(f"{s}={n}" for s, n in sorted(status["jobs"][kind].items()))
        print(f"  {kind:<7} {states}", file=out)
    for name in ("enrichment_batches", "export_batches", "credits"):
        values = ", ".join(f"{k}={v}" for k, v in sorted(status[name].items())) or "none"
        print(f"{name.replace('_', ' ')}: {values}", file=out)
    for health in status.get("providers", []):
        state = "PAUSED" if health.get("paused") else "ok"
        print(f"provider {health.get('provider')}: {state} — " + ", ".join(
            f"{k}={v}" for k, v in health.items() if k not in ("provider", "paused")), file=out)
    for name, b in status.get("budgets", {}).items():
        print(f"budget {name} today: reserved={b['reserved']}, spent={b['spent']},"
              f" released={b['released']}, held={b['held']},"
              f" remaining={b['remaining_today']} of {b['per_day']}/day"
              f" (per run {b['per_run']})", file=out)
    retention = status.get("retention")
    if retention:
        print("retention (days; oldest kept): " + ", ".join(
            f"{kind} {days}" + (f" ({retention['oldest'][kind][:10]})"
                                if retention["oldest"].get(kind) else "")
            for kind, days in retention["days"].items()), file=out)
    for consumer, states in sorted(status.get("deliveries", {}).items()):
        values = ", ".join(f"{k}={v}" for k, v in sorted(states.items()))
        print(f"deliveries to {consumer}: {values}", file=out)
    for failed in status["failed_files"]:
        print(f"failed file {failed['key']}: [{failed['reason_code']}] {failed['reason']}",
              file=out)
    for dead in status["dead_jobs"]:
        print(f"dead job {dead['id']} ({dead['kind']}): {dead['last_error']}", file=out)
