"""What the terminal shows: live progress while steps run, the run summary, the status table.
rich renders them (colour where the terminal has it, plain text where it does not)."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from sxp.adapters.postgres.queue import Job
from sxp.bootstrap import App
from sxp.pipeline.run_summary import RunSummary

STEP_ORDER = ["pull", "ingest", "cards", "label", "gate", "enrich", "export", "deliver",
              "erase", "retention"]


class StepProgress:
    """The runner's progress callback: one live line per step with its jobs done, failures,
    rate and the last thing it worked on (a file's name rather than its id)."""

    def __init__(self, console: Console, app: App | None = None) -> None:
        self.console, self.app = console, app
        self.names: dict[int, str] = {}
        self.started = time.monotonic()
        self.steps: dict[str, dict[str, Any]] = {}
        self.live = Live(self._render(), console=console, refresh_per_second=4,
                         transient=False, redirect_stdout=False, redirect_stderr=False)

    def __enter__(self) -> StepProgress:
        if self.console.is_terminal:
            self.live.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.console.is_terminal:
            self.live.update(self._render())
            self.live.stop()
        else:
            self.console.print(self._render())

    def __call__(self, job: Job, outcome: str, elapsed_s: float) -> None:
        step = self.steps.setdefault(job.kind, {"done": 0, "failed": 0, "seconds": 0.0,
                                                "last": ""})
        step["done" if outcome == "done" else "failed"] += 1
        step["seconds"] += elapsed_s
        step["last"] = self._target(job)
        if self.console.is_terminal:
            self.live.update(self._render())
        else:  # a log, not a screen: one line per job
            mark = "ok" if outcome == "done" else f"FAILED ({outcome})"
            self.console.print(f"  {job.kind:<8} {step['last'][:40]:<40} {mark:<14} "
                               f"{elapsed_s:6.2f}s", markup=False)

    def _target(self, job: Job) -> str:
        file_id = job.payload.get("source_file_id")
        if isinstance(file_id, int):
            if file_id not in self.names and self.app is not None:
                from sxp.adapters.postgres import source_files

                with self.app.connect() as conn:
                    self.names = source_files.names(conn)
            return self.names.get(file_id, f"file {file_id}")
        for key in ("batch_id", "consumer", "platform"):
            if key in job.payload:
                return str(job.payload[key])
        return ""

    def _render(self) -> Table:
        table = Table.grid(padding=(0, 2))
        for kind in sorted(self.steps, key=lambda k: (STEP_ORDER + [k]).index(k)):
            s = self.steps[kind]
            rate = s["done"] / s["seconds"] if s["seconds"] else 0.0
            failed = Text(f"{s['failed']} failed", style="red") if s["failed"] else Text("")
            table.add_row(Text(kind, style="bold"), f"{s['done']} done", failed,
                          f"{rate:.1f} jobs/s", Text(s["last"], style="dim"))
        total = time.monotonic() - self.started
        table.add_row(Text("elapsed", style="dim"), f"{total:.1f}s", "", "", "")
        return table


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
