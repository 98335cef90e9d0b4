"""Live progress: each step's bar counts what its jobs report (or its jobs), with the jobs still
waiting in its total, and shows a count, a rate, an ETA and what it works on."""

from __future__ import annotations

import io
import re
import time

from rich.console import Console

from sxp.adapters.postgres.queue import Job
from sxp.entrypoints.cli.progress import StepProgress, StepState


def _job(job_id: int, kind: str, **payload: object) -> Job:
    return Job(id=job_id, kind=kind, payload=dict(payload), attempts=1, max_attempts=5)


def test_a_step_of_one_long_job_counts_its_units() -> None:
    step = StepState(unit="profiles", running={7: (400, 1000)})
    assert (step.completed(), step.total()) == (400, 1000)
    step.job_ended(7, "done")
    assert (step.completed(), step.total(), step.jobs_done) == (1000, 1000, 1)


def test_waiting_jobs_join_the_total_at_the_mean_size_of_those_done() -> None:
    step = StepState(unit="cards")
    step.running[1] = (250, 250)
    step.job_ended(1, "done")
    step.running[2] = (100, 250)
    step.waiting = 3
    assert (step.completed(), step.total()) == (350, 250 + 250 + 3 * 250)
    jobs = StepState()  # jobs that report nothing count as jobs
    jobs.job_ended(5, "done")
    jobs.job_ended(6, "todo")  # to be retried: among the waiting
    jobs.waiting = 2
    assert (jobs.completed(), jobs.total(), jobs.jobs_done, jobs.jobs_failed) == (1, 3, 1, 1)
    unknown = StepState(unit="bytes", running={9: (10, None)})
    assert unknown.total() is None  # no ETA rather than a wrong one


def test_the_bars_show_count_rate_eta_and_target_in_pipeline_order() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=160, color_system=None)
    with StepProgress(console) as progress:
        cards = _job(2, "cards", source_file_id=None)
        ingest = _job(1, "ingest", platform="tiktok")
        progress.advance(cards, 1_000, 4_000, "profiles")  # cards reports first
        progress.advance(ingest, 2_000_000, 8_000_000, "bytes")
        time.sleep(0.3)
        progress.advance(ingest, 4_000_000, 8_000_000, "bytes")
        progress.advance(cards, 2_000, 4_000, "profiles")
        progress.bars.refresh()
        shown = progress.bars.get_renderable()
        console.print(shown)
    text = out.getvalue().split("\x1b[2K")[-1] if "\x1b[2K" in out.getvalue() else out.getvalue()
    lines = [line for line in text.splitlines() if line.strip()]
    ingest_line = next(line for line in lines if line.lstrip().startswith("ingest"))
    cards_line = next(line for line in lines if line.lstrip().startswith("cards"))
    assert lines.index(ingest_line) < lines.index(cards_line)  # pipeline order
    assert "4.0/8.0 MB" in ingest_line and "MB/s" in ingest_line and "tiktok" in ingest_line
    assert "2,000/4,000 profiles" in cards_line and "profiles/s" in cards_line
    assert re.search(r"\d+:\d\d", ingest_line)  # the ETA


def test_on_a_log_each_job_is_one_line() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=120)
    with StepProgress(console) as progress:
        progress.advance(_job(3, "export", consumer="crm"), 500, 1000, "cards")
        progress(_job(3, "export", consumer="crm"), "done", 1.5)
        progress(_job(4, "enrich", batch_id="eb-1"), "dead", 0.2)
    lines = out.getvalue().splitlines()
    assert any(re.match(r"\s+export\s+crm\s+ok\s+1.50s", line) for line in lines)
    assert any("enrich" in line and "eb-1" in line and "FAILED (dead)" in line
               for line in lines)
    assert progress.steps["export"].completed() == 1000
