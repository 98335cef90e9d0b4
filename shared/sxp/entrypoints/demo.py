"""`sxp demo`: the whole pipeline on embedded defaults and the shipped synthetic sample.

Idempotent: the sample lands at fixed inbox keys, so a second run registers nothing new,
ingests nothing, spends no credit and exports nothing; it re-verifies the latest bundle.
"""

from __future__ import annotations

import time
from importlib import resources
from pathlib import Path

from rich.console import Console

from sxp.adapters.postgres import exports
from sxp.bootstrap import App, bootstrap
from sxp.config import Settings
from sxp.pipeline.run import run_pipeline
from sxp.pipeline.run_summary import summarize

DEMO_PREFIX = "demo/"


def sample_files() -> list[Path]:
    folder = resources.files("sxp.sample").joinpath("demo")
    return sorted(Path(str(p)) for p in folder.iterdir() if not p.name.startswith("."))


def drop_sample(app: App) -> int:
    """Put the shipped sample into the inbox unless the same bytes are already there."""
    dropped = 0
    for path in sample_files():
        key = f"{app.settings.inbox_prefix}{DEMO_PREFIX}{path.name}"
        if app.store.head(key) is None:
            app.store.put_file(key, path)
            dropped += 1
    return dropped


def latest_manifest_key(app: App) -> str | None:
    with app.connect() as conn:
        return exports.latest_manifest_key(conn)


def run_demo(settings: Settings | None = None, console: Console | None = None) -> int:
    from sxp.entrypoints.cli.progress import StepProgress
    from sxp.entrypoints.cli.views import render_summary, status_tables
    from sxp.pipeline.status import collect_status

    out = console or Console(highlight=False, soft_wrap=True)
    started = time.monotonic()
    settings = settings or Settings()
    out.print(f"sxp demo — env={settings.env}, home={settings.home.resolve()}", markup=False)
    out.print("1/4 starting embedded defaults and applying migrations …")
    app = bootstrap(settings)
    try:
        dropped = drop_sample(app)
        out.print(f"2/4 sample: {dropped} new file(s) dropped into "
                  f"{app.store.url(settings.inbox_prefix + DEMO_PREFIX)}", markup=False)
        out.print("3/4 running the pipeline (scan → ingest → cards → label → gate → enrich → "
                  "export → deliver)")
        with StepProgress(out, app) as progress:
            result = run_pipeline(app, on_progress=progress, on_advance=progress.advance)
        out.print("4/4 summary")
        summary = summarize(app, result)
        out.print(render_summary(summary))
        out.print(status_tables(collect_status(app)))
        code = _verify_latest(app, out, failed=summary.failed, started=started)
        _still_running(app, out)
        return code
    finally:
        app.close()


def _verify_latest(app: App, out: Console, *, failed: bool, started: float) -> int:
    from sxp.pipeline.verify import verify_bundle

    key = latest_manifest_key(app)
    if key is None:
        out.print("no Lead Card Batch exported", style="bold red")
        return 1
    location = app.store.url(key)
    out.print(f"Lead Card Batch bundle: {location}", markup=False)
    out.print(f"$ sxp verify-bundle {location}", markup=False)
    report = verify_bundle(app, location)
    out.print(f"  {report}", markup=False)
    out.print(f"demo finished in {time.monotonic() - started:.1f}s"
              + (" with failures — see `sxp status`" if failed else ""))
    return 1 if failed else 0


def _still_running(app: App, out: Console) -> None:
    """Say what the embedded defaults left running, and how to stop it."""
    from sxp.adapters.embedded import embedded_postgres_pid

    if not app.settings.embedded_db:
        return
    pid = embedded_postgres_pid(app.settings.pgdata_dir)
    if pid is not None:
        out.print(f"the embedded Postgres is still running (pid {pid}, data in "
                  f"{app.settings.pgdata_dir}): `.venv/bin/sxp stop` stops it; the next "
                  "command starts it again", markup=False)
