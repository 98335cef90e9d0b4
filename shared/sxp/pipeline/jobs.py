"""The job kinds of the pipeline and the step function that runs each.

Contract for every step's `run_job(app, job)`:
- idempotent: running it twice, or after a crash at any point, gives the same end state;
- in its final transaction it writes its results, enqueues the next step's job(s) with
  `sxp.adapters.postgres.queue.enqueue`, and marks its own job done with `queue.complete`;
- it raises on failure; the runner records the failure, retries with backoff, or marks dead.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from sxp.adapters.postgres.queue import Job
from sxp.bootstrap import App

JobHandler = Callable[[App, Job], None]

# kind -> "module:function", imported on first use (cold starts stay cheap)
JOB_KINDS: dict[str, str] = {
    "pull": "sxp.pipeline.pull:run_job",
    "ingest": "sxp.pipeline.ingest:run_job",
    "cards": "sxp.pipeline.cards:run_job",
    "label": "sxp.pipeline.label:run_job",
    "gate": "sxp.pipeline.gate:run_job",
    "enrich": "sxp.pipeline.enrich:run_job",
    "export": "sxp.pipeline.export:run_job",
}


def handler_for(kind: str) -> JobHandler:
    target = JOB_KINDS.get(kind)
    if target is None:
        raise KeyError(f"unknown job kind: {kind}")
    module, _, func = target.partition(":")
    handler: JobHandler = getattr(import_module(module), func)
    return handler
