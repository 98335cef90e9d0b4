"""What the terminal shows after a run: the run summary, the status table (the live progress
while steps run is `progress`).
rich renders them (colour where the terminal has it, plain text where it does not)."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from sxp.pipeline.run_summary import RunSummary


def render_summary(summary: RunSummary) -> Group:
    parts: list[Any] = [_files_table(summary)]
    failed = [f for f in summary.files if f.state == "failed"]
    for file in failed:
        parts.append(Text(f"failed: {file.key}: [{file.reason_code}] {file.reason}",
                          style="bold red"))
    parts.append(_results_table(summary))
    if summary.batches:
        parts.append(_batches_table(summary))
        parts.extend(Text(f"  {b['consumer']} {b['batch_id']}: {b['location']}")
                     for b in summary.batches)
    parts.extend(_waiting_lines(summary))
    for dead in summary.dead_jobs:
        parts.append(Text(f"dead job {dead['id']} ({dead['kind']}): {dead['last_error']} — "
                          f"`sxp retry {dead['id']}` or `sxp jobs drop {dead['id']}`",
                          style="bold red"))
    verdict = ("finished with failures" if summary.failed else "finished")
    ran = ", ".join(f"{n} job(s) {k}" for k, n in summary.jobs.items() if n)
    parts.append(Text(f"run {summary.run_id} {verdict}: {ran or 'nothing to do'}",
                      style="bold red" if summary.failed else "bold green"))
    return Group(*parts)


def _files_table(summary: RunSummary) -> Table | Text:
    if not summary.files:
        return Text("no new files")
    table = Table(title="files", title_justify="left")
    for column in ("file", "state", "read", "loaded", "unchanged", "deduped", "rejected"):
        table.add_column(column, justify="left" if column in ("file", "state") else "right")
    for f in summary.files:
        style = "red" if f.state == "failed" else "yellow" if f.mostly_rejected else None
        state = f.state + (" (mostly rejected)" if f.mostly_rejected else "")
        table.add_row(f.key, state, f"{f.rows_read:,}", f"{f.rows_loaded:,}",
                      f"{f.rows_unchanged:,}", f"{f.rows_deduped:,}", f"{f.rows_rejected:,}",
                      style=style)
    return table


def _results_table(summary: RunSummary) -> Table:
    table = Table(title="results", title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    for label, n in sorted(summary.cards_by_execution_label.items()):
        table.add_row(f"cards labeled {label}", f"{n:,}")
    gate = summary.gate
    if gate.get("passes"):
        table.add_row("gate: eligible cards", f"{gate['eligible']:,}")
        table.add_row("gate: queued for enrichment", f"{gate['cards_queued']:,} in "
                                                     f"{gate['batches']:,} batch(es)")
        table.add_row("gate: credits reserved", f"{gate['credits_reserved']:,}")
        left_out = gate["out_of_budget"]
        table.add_row(Text("gate: left out by the budget", style="yellow" if left_out else ""),
                      Text(f"{left_out:,}", style="yellow" if left_out else ""))
    for p in summary.enrichment:
        table.add_row(f"enrichment {p['provider']}",
                      f"{p['calls']:,} call(s), {p['found']:,} found, "
                      f"{p['not_found']:,} not found, {p['credits']:,} credit(s)")
    return table


def _batches_table(summary: RunSummary) -> Table:
    table = Table(title="batches (manifests below)", title_justify="left")
    for column in ("consumer", "batch", "state", "records", "withdrawals"):
        table.add_column(column, justify="right" if column in ("records", "withdrawals")
                         else "left", no_wrap=True)
    for b in summary.batches:
        table.add_row(b["consumer"], b["batch_id"], b["state"], f"{b['card_count']:,}",
                      f"{b['withdrawal_count']:,}")
    return table


def _waiting_lines(summary: RunSummary) -> list[Text]:
    lines = []
    if summary.released_jobs:
        lines.append(Text(f"taken over {len(summary.released_jobs)} job(s) of a process that "
                          "died on this machine", style="yellow"))
    for job in summary.waiting:
        if job.state == "doing":
            holder = "a process that died" if job.holder_gone else "another worker"
            left = f"{max(job.lease_left_s or 0, 0):.0f}s"
            lines.append(Text(f"waiting: job {job.id} ({job.kind}) is held by {holder}; its "
                              f"lease ends in {left}", style="yellow"))
        else:
            due = f" (due in {job.due_in_s:.0f}s)" if (job.due_in_s or 0) > 1 else ""
            lines.append(Text(f"waiting: job {job.id} ({job.kind}), attempt "
                              f"{job.attempts + 1}{due}", style="yellow"))
    return lines


def status_tables(status: dict[str, Any]) -> Group:
    from sxp.entrypoints.report import summary_rows

    table = Table(show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    for key, value in summary_rows(status):
        table.add_row(key, value)
    jobs = Table(title="jobs", title_justify="left")
    states = ("todo", "doing", "done", "failed", "dead")
    jobs.add_column("kind")
    for state in states:
        jobs.add_column(state, justify="right")
    for kind in sorted(status["jobs"]):
        counts = status["jobs"][kind]
        jobs.add_row(kind, *(str(counts.get(s, 0)) for s in states),
                     style="red" if counts.get("dead") else None)
    parts: list[Any] = [table, jobs, *(Text(line) for line in _status_lines(status))]
    for failed in status["failed_files"]:
        parts.append(Text(f"failed file {failed['key']}: [{failed['reason_code']}] "
                          f"{failed['reason']}", style="red"))
    for dead in status["dead_jobs"]:
        parts.append(Text(f"dead job {dead['id']} ({dead['kind']}): {dead['last_error']}",
                          style="red"))
    return Group(*parts)


def _status_lines(status: dict[str, Any]) -> list[str]:
    lines = []
    for name in ("enrichment_batches", "export_batches", "credits"):
        values = ", ".join(f"{k}={v}" for k, v in sorted(status[name].items())) or "none"
        lines.append(f"{name.replace('_', ' ')}: {values}")
    for health in status.get("providers", []):
        state = "PAUSED" if health.get("paused") else "ok"
        lines.append(f"provider {health.get('provider')}: {state} — " + ", ".join(
            f"{k}={v}" for k, v in health.items() if k not in ("provider", "paused")))
    for name, b in status.get("budgets", {}).items():
        lines.append(f"budget {name} today: reserved={b['reserved']}, spent={b['spent']},"
                     f" released={b['released']}, held={b['held']},"
                     f" remaining={b['remaining_today']} of {b['per_day']}/day"
                     f" (per run {b['per_run']})")
    retention = status.get("retention")
    if retention:
        lines.append("retention (days; oldest kept): " + ", ".join(
            f"{kind} {days}" + (f" ({retention['oldest'][kind][:10]})"
                                if retention["oldest"].get(kind) else "")
            for kind, days in retention["days"].items()))
    for consumer, states in sorted(status.get("deliveries", {}).items()):
        values = ", ".join(f"{k}={v}" for k, v in sorted(states.items()))
        lines.append(f"deliveries to {consumer}: {values}")
    return lines
