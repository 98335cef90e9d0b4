"""The operator's commands: files, rejects, jobs (list, drop), retry, doctor."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from sxp.entrypoints.cli.base import FAILURES, OK, CliError, console, open_app, print_json
from sxp.entrypoints.cli.base import settings as cli_settings


class JobState(StrEnum):
    todo = "todo"
    doing = "doing"
    done = "done"
    failed = "failed"
    dead = "dead"


def register(app: typer.Typer) -> None:
    app.command("files")(files)
    app.command("rejects")(rejects)
    app.command("retry")(retry)
    app.command("doctor")(doctor)
    jobs_app = typer.Typer(help="Jobs by state; drop a dead one.", no_args_is_help=False,
                           invoke_without_command=True)
    jobs_app.callback(invoke_without_command=True)(jobs)
    jobs_app.command("drop")(drop)
    app.add_typer(jobs_app, name="jobs")


def files(failed: bool = typer.Option(False, "--failed", help="only files that failed"),
          limit: int = typer.Option(50, min=1, max=10000, help="at most this many, newest "
                                                                 "first"),
          as_json: bool = typer.Option(False, "--json", help="as JSON on stdout")) -> int:
    """Inbox files with their state and row counts (newest first)."""
    from sxp.adapters.postgres import source_files

    with open_app() as app, app.connect() as conn:
        rows = source_files.listed(conn, failed_only=failed, limit=limit)
    if as_json:
        print_json(rows)
        return OK
    table = Table(title=f"{len(rows)} file(s) (`--json` for every count)",
                  title_justify="left")
    for column in ("id", "file", "state", "read", "loaded", "deduped", "rejected"):
        table.add_column(column, justify="left" if column in ("file", "state") else "right",
                         overflow="fold")
    for r in rows:
        mostly = r["rows_read"] and r["rows_rejected"] / r["rows_read"] >= 0.5
        style = "red" if r["state"] == "failed" else "yellow" if mostly else None
        table.add_row(str(r["id"]), r["key"].rsplit("/", 1)[-1], r["state"],
                      f"{r['rows_read']:,}", f"{r['rows_loaded']:,}", f"{r['rows_deduped']:,}",
                      f"{r['rows_rejected']:,}", style=style)
    console.print(table)
    for r in rows:
        if r["reason_code"]:
            console.print(Text(f"{r['id']} {r['key']}: [{r['reason_code']}] {r['reason']}",
                               style="red" if r["state"] == "failed" else ""))
    return OK


def rejects(file: str = typer.Argument(..., help="the file's id, inbox key or name"),
            as_json: bool = typer.Option(False, "--json", help="as JSON on stdout")) -> int:
    """A file's rejected rows by reason code, with examples (contacts masked) and where the
    rejects file is."""
    from sxp.pipeline.rejects import rejects_report

    with open_app() as app:
        report = rejects_report(app, file)
    if as_json:
        print_json(report)
    else:
        _print_rejects(report)
    return OK


def _print_rejects(report: dict[str, Any]) -> None:
    console.print(f"{report['file']}: {report['state']}, {report['rows_rejected']:,} of "
                  f"{report['rows_read']:,} row(s) rejected", markup=False)
    if report["file_failure"]:
        failure = report["file_failure"]
        console.print(Text(f"the whole file failed: [{failure['reason_code']}] "
                           f"{failure['reason']}", style="red"))
    if report["rejects"]:
        console.print(f"rejects file: {report['rejects']}", markup=False)
    for reason in report["by_reason"]:
        console.print(Text(f"{reason['reason_code']}: {reason['rows']:,} row(s)", style="bold"))
        for example in reason["examples"]:
            console.print(f"  line {example['line']}: {example['detail'] or ''}  "
                          f"{example['raw']}", markup=False, soft_wrap=True)


def jobs(ctx: typer.Context,
         state: JobState | None = typer.Option(None, help="only jobs in this state"),
         kind: str | None = typer.Option(None, help="only jobs of this kind"),
         limit: int = typer.Option(50, min=1, max=10000, help="at most this many, newest "
                                                                "first"),
         as_json: bool = typer.Option(False, "--json", help="as JSON on stdout")) -> int:
    """Jobs by state (counts), then the newest jobs with their holder, lease and last error."""
    if ctx.invoked_subcommand is not None:
        return OK
    from sxp.adapters.postgres import queue

    with open_app() as app, app.connect() as conn:
        counts = queue.counts_by_kind_and_state(conn)
        rows = queue.listed(conn, state=state.value if state else None, kind=kind, limit=limit)
    if as_json:
        print_json({"counts": counts, "jobs": rows})
        return OK
    table = Table(title="jobs (newest first)", title_justify="left")
    for column in ("id", "kind", "state", "attempts", "lease left"):
        table.add_column(column, justify="left" if column in ("kind", "state") else "right")
    for r in rows:
        lease = f"{r['lease_left_s']:.0f}s" if r["state"] == "doing" and r["lease_left_s"] \
            is not None else ""
        table.add_row(str(r["id"]), r["kind"], r["state"],
                      f"{r['attempts']}/{r['max_attempts']}", lease,
                      style="red" if r["state"] == "dead" else None)
    console.print(", ".join(f"{k}: " + " ".join(f"{s}={n}" for s, n in sorted(v.items()))
                            for k, v in sorted(counts.items())) or "no jobs", markup=False)
    console.print(table)
    for r in rows:
        if r["state"] == "doing" and r["locked_by"]:
            console.print(f"job {r['id']} is held by {r['locked_by']}", markup=False)
        if r["state"] in ("dead", "todo", "failed") and r["last_error"]:
            console.print(Text(f"job {r['id']} ({r['state']}): {r['last_error']}",
                               style="red" if r["state"] == "dead" else ""))
    return OK


def drop(job_id: int = typer.Argument(..., help="the id of a dead job")) -> int:
    """Remove a dead job for good (what it would have done is dropped with it)."""
    from sxp.adapters.postgres import queue

    with open_app() as app, app.connect() as conn, conn.transaction():
        current = queue.job_state(conn, job_id)
        if current is None:
            raise CliError(f"no job {job_id}", "unknown_job")
        if current != "dead" or not queue.drop_dead(conn, job_id):
            raise CliError(f"job {job_id} is {current}; only a dead job can be dropped",
                           "job_not_dead")
    typer.echo(f"dropped dead job {job_id}")
    return OK


def retry(job_id: int | None = typer.Argument(None, help="a dead job's id (default: every "
                                                          "dead job)")) -> int:
    """Put dead jobs back in the queue with a fresh attempt budget."""
    from sxp.adapters.postgres import queue

    with open_app() as app, app.connect() as conn:
        if job_id is not None:
            current = queue.job_state(conn, job_id)
            if current is None:
                raise CliError(f"no job {job_id}", "unknown_job")
            if current != "dead":
                raise CliError(f"job {job_id} is {current}, not dead", "job_not_dead")
        count = queue.retry_dead(conn, job_id)
    typer.echo(f"{count} job(s) back in the queue")
    return OK


def doctor(as_json: bool = typer.Option(False, "--json", help="as JSON on stdout")) -> int:
    """Check the settings, the database, the bucket, each provider and each consumer; exit 1
    naming what is wrong."""
    from sxp.pipeline.doctor import check_everything

    checks = check_everything(cli_settings())
    if as_json:
        print_json(checks)
    else:
        for check in checks:
            mark = Text("ok  ", style="green") if check.ok else Text("FAIL", style="bold red")
            console.print(Text.assemble(mark, " ", Text(check.name, style="bold"), ": ",
                                        check.detail))
    return OK if all(c.ok for c in checks) else FAILURES
