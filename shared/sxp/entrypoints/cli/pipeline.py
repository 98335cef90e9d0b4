"""The pipeline's commands: migrate, import, pull, scan, run, worker, status, gate, export,
verify-bundle, demo, api, stop."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from sxp.entrypoints.cli.base import (
    FAILURES,
    OK,
    CliError,
    console,
    open_app,
    print_json,
    settings,
)


class Platform(StrEnum):
    x = "x"
    tiktok = "tiktok"
    threads = "threads"


class FileFormat(StrEnum):
    jsonl = "jsonl"
    json = "json"
    csv = "csv"


def register(app: typer.Typer) -> None:
    for command in (migrate, import_files, pull, scan, run, worker, status, gate, export,
                    verify_bundle, demo, api, stop):
        name = {"import_files": "import", "verify_bundle": "verify-bundle"}.get(
            command.__name__, command.__name__)
        app.command(name)(command)


def migrate() -> int:
    """Apply pending database migrations (the pre-deploy job; needs only the database)."""
    from sxp.bootstrap import migrate_database

    migrate_database(settings())
    typer.echo("migrations up to date")
    return OK


def import_files(
        paths: list[Path] = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                           help="local files (JSONL, JSON, CSV, optionally "
                                                "gzip)"),
        platform: Platform | None = typer.Option(None, help="the platform of every row "
                                                            "(else from the file)"),
        fmt: FileFormat | None = typer.Option(None, "--format",
                                              help="the file format (else from the name)"),
) -> int:
    """Put local files into the inbox (the next scan or run ingests them)."""
    from sxp.pipeline.imports import import_paths

    with open_app() as app:
        for receipt in import_paths(app, paths, platform=platform.value if platform else None,
                                    fmt=fmt.value if fmt else None):
            seen = " (duplicate of an earlier import)" if receipt.duplicate else ""
            typer.echo(f"{app.store.url(receipt.key)}{seen}")
    return OK


def pull(
        platform: Platform = typer.Option(..., help="the platform API to pull from"),
        handles: list[str] = typer.Argument(None, help="handles to pull (with or without @)"),
        file: Path | None = typer.Option(None, exists=True, dir_okay=False, readable=True,
                                         help="a file with one handle per line"),
) -> int:
    """Schedule pulling profiles by handle from a platform API (refused at once without the
    platform's settings or with invalid handles)."""
    from sxp.pipeline.pull import enqueue_pull

    wanted = list(handles or [])
    if file is not None:
        wanted += file.read_text(encoding="utf-8").splitlines()
    with open_app() as app:
        ids = enqueue_pull(app, platform.value, wanted)
    typer.echo(f"{len(ids)} pull job(s) scheduled; `sxp run` or `sxp worker` runs them")
    return OK


def scan() -> int:
    """Register new inbox objects and queue their ingest."""
    from sxp.pipeline.scan import scan as scan_inbox

    with open_app() as app:
        print_json(vars(scan_inbox(app)))
    return OK


def run(as_json: bool = typer.Option(False, "--json", help="the summary as JSON on stdout"),
        quiet: bool = typer.Option(False, "--quiet", help="no live progress")) -> int:
    """Scan the inbox, then run every pending step until nothing is left; end with a
    summary. Exit 1 when a file failed or a job died."""
    from sxp.entrypoints.cli.progress import StepProgress
    from sxp.entrypoints.cli.views import render_summary
    from sxp.pipeline.run import run_pipeline
    from sxp.pipeline.run_summary import summarize

    with open_app() as app:
        if as_json or quiet:
            result = run_pipeline(app)
        else:
            with StepProgress(console, app) as progress:
                result = run_pipeline(app, on_progress=progress, on_advance=progress.advance)
        summary = summarize(app, result)
    if as_json:
        print_json(summary.as_json())
    else:
        console.print(render_summary(summary))
    return FAILURES if summary.failed else OK


def worker(
        concurrency: int | None = typer.Option(None, min=1, max=256,
                                               help="job threads (default "
                                                    "SXP_WORKER_CONCURRENCY)"),
        kinds: str | None = typer.Option(None, help="comma-separated job kinds (default: all)"),
        stop_when_idle: bool = typer.Option(False, help="exit once no job is pending"),
) -> int:
    """The long-running job worker: runs every job kind (or those given) until SIGTERM, and
    the periodic tasks of SXP_PERIODIC_TASKS."""
    from sxp.entrypoints.worker import run_worker
    from sxp.pipeline.jobs import JOB_KINDS
    from sxp.pipeline.leases import release_jobs_of_gone_holders

    chosen = [k.strip() for k in kinds.split(",") if k.strip()] if kinds else None
    unknown = sorted(set(chosen or []) - set(JOB_KINDS))
    if unknown or chosen == []:
        raise CliError(f"--kinds: unknown job kind(s) {unknown} (known: {sorted(JOB_KINDS)})")
    with open_app() as app:
        release_jobs_of_gone_holders(app)
        run_worker(app, concurrency=concurrency or app.settings.worker_concurrency,
                   kinds=chosen, stop_when_idle=stop_when_idle)
    return OK


def status(as_json: bool = typer.Option(False, "--json", help="as JSON on stdout")) -> int:
    """Counts per tier, step and batch state; failed files and dead jobs."""
    from sxp.entrypoints.cli.views import status_tables
    from sxp.pipeline.status import collect_status

    with open_app() as app:
        collected = collect_status(app)
    if as_json:
        print_json(collected)
    else:
        console.print(status_tables(collected))
    return OK


def gate(dry_run: bool = typer.Option(False, "--dry-run",
                                      help="only report what a pass would do")) -> int:
    """Form enrichment batches within budget (JSON on stdout)."""
    from sxp.pipeline.gate import gate as run_gate

    with open_app() as app:
        print_json(run_gate(app, dry_run=dry_run))
    return OK


def export() -> int:
    """Export each consumer's next Lead Card Batch now (JSON on stdout)."""
    from sxp.pipeline.export import export as run_export

    with open_app() as app:
        results = run_export(app)
    print_json(results if results else {"exported": 0})
    return OK


def verify_bundle(
        manifest: str = typer.Argument(..., help="local path or s3://bucket/key of a "
                                                 "manifest.json"),
        previous: str | None = typer.Option(None, help="the consumer's previous manifest: "
                                                       "check the chain"),
) -> int:
    """Check a Lead Card Batch manifest and its files (exit 2 naming what is wrong)."""
    from sxp.pipeline.verify import verify_bundle as verify

    with open_app() as app:
        print_json(verify(app, manifest, previous))
    return OK


def demo() -> int:
    """The whole pipeline on embedded defaults and the shipped synthetic sample."""
    from sxp.entrypoints.demo import run_demo

    return run_demo(settings())


def api(host: str = typer.Option("127.0.0.1", help="address to listen on"),
        port: int = typer.Option(8080, min=1, max=65535, help="port to listen on")) -> int:
    """Serve the HTTP API and the operator console (/console) until SIGTERM."""
    from sxp.entrypoints.api.serve import serve_api

    with open_app() as app:
        serve_api(app, host, port)
    return OK


def stop() -> int:
    """Stop what the embedded defaults started (the embedded Postgres under SXP_HOME)."""
    from sxp.adapters.embedded import stop_embedded_postgres

    loaded = settings()
    if not loaded.embedded_db:
        typer.echo("DATABASE_URL is set: no embedded Postgres to stop")
        return OK
    stopped = stop_embedded_postgres(loaded.pgdata_dir)
    typer.echo(f"embedded Postgres in {loaded.pgdata_dir} "
               + ("stopped" if stopped else "was not running"))
    return OK
