"""`sxp demo`: the whole pipeline on embedded defaults and the shipped synthetic sample.

Idempotent: the sample lands at fixed inbox keys, so a second run registers nothing new,
ingests nothing, spends no credit and exports nothing; it re-verifies the latest bundle.
"""

from __future__ import annotations

import os
import time
from importlib import resources
from pathlib import Path

from sxp.adapters.postgres import exports
from sxp.bootstrap import App, bootstrap
from sxp.config import Settings
from sxp.entrypoints.report import ProgressPrinter, print_table, summary_rows
from sxp.pipeline.run import run_pipeline
from sxp.pipeline.status import collect_status

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


def run_demo(settings: Settings | None = None) -> int:
    started = time.monotonic()
    settings = settings or Settings()
    if "SXP_LOG_LEVEL" not in os.environ:  # the demo shows progress lines, not the JSON log
        settings = settings.model_copy(update={"log_level": "WARNING"})
    print(f"sxp demo — env={settings.env}, home={settings.home.resolve()}")
    print("1/4 starting embedded defaults and applying migrations …", flush=True)
    app = bootstrap(settings)
    try:
        dropped = drop_sample(app)
        print(f"2/4 sample: {dropped} new file(s) dropped into "
              f"{app.store.url(settings.inbox_prefix + DEMO_PREFIX)}", flush=True)
        print("3/4 running the pipeline (scan → ingest → cards → label → gate → enrich → "
              "export)", flush=True)
        printer = ProgressPrinter()
        result = run_pipeline(app, on_progress=printer)
        printer.finish()
        print("4/4 summary")
        print_table(summary_rows(collect_status(app)))
        return _verify_latest(app, dead=result.drained.dead, started=started)
    finally:
        app.close()


def _verify_latest(app: App, *, dead: int, started: float) -> int:
    from sxp.pipeline.verify import verify_bundle

    key = latest_manifest_key(app)
    if key is None:
        print("no Lead Card Batch exported")
        return 1
    location = app.store.url(key)
    print(f"Lead Card Batch bundle: {location}")
    print(f"$ sxp verify-bundle {location}")
    report = verify_bundle(app, location)
    print(f"  {report}")
    print(f"demo finished in {time.monotonic() - started:.1f}s"
          + (f" with {dead} dead job(s) — see `sxp status`" if dead else ""))
    return 1 if dead else 0
