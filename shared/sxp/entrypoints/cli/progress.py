"""Live progress of `sxp run` and `make demo`: a bar per step, with a count, a rate and an ETA.

A step counts what its jobs report while they run (`sxp.pipeline.jobs.report_progress`: bytes
of the file read, profiles, cards); a step whose jobs report nothing counts jobs. The jobs of
the step still waiting in the queue join its total, each at the mean size of those done, so
the ETA of a step of many jobs (enrich's batches) covers the step, not one job. Each line
names what the step works on: a file's name rather than its id, a batch, a consumer.

On a terminal rich draws the bars (thread-safe: jobs report from their own threads); on
anything else, one line per job.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from sxp.adapters.postgres import queue
from sxp.adapters.postgres.queue import Job
from sxp.bootstrap import App

STEP_ORDER = ["pull", "ingest", "cards", "label", "gate", "enrich", "export", "deliver",
              "erase", "retention"]
JOBS = "jobs"


@dataclass
class StepState:
    """What one step has done so far, in its unit."""

    unit: str = JOBS
    jobs_done: int = 0
    jobs_failed: int = 0
    jobs_ended: int = 0  # done or dead
    units_done: int = 0  # of the jobs that ended
    running: dict[int, tuple[int, int | None]] = field(default_factory=dict)
    waiting: int = 0  # its jobs still queued
    target: str = ""

    def completed(self) -> int:
        return self.units_done + sum(done for done, _ in self.running.values())

    def total(self) -> int | None:
        """Done, plus what the running jobs expect, plus the waiting jobs at the mean size;
        None when a running job cannot say."""
        if any(total is None for _, total in self.running.values()):
            return None
        sizes = [t for _, t in self.running.values() if t is not None]
        mean = (self.units_done / self.jobs_ended if self.jobs_ended
                else sizes[0] if sizes else 1)
        return self.units_done + sum(sizes) + round(self.waiting * mean)

    def job_ended(self, job_id: int, outcome: str) -> None:
        """A job is done or dead: its units count. One to be retried or postponed runs
        again (it is among the waiting): only its failure shows."""
        done, total = self.running.pop(job_id, (0, None))
        if outcome in {"done", "dead"}:
            self.jobs_ended += 1
            self.units_done += (1 if self.unit == JOBS
                                else max(done, total or 0) if outcome == "done" else done)
        self.jobs_done += outcome == "done"
        self.jobs_failed += outcome in {"todo", "dead", "lost"}


class _CountColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        unit = task.fields["unit"]
        return Text(f"{_amount(task.completed, unit)}/"
                    f"{'?' if task.total is None else _amount(task.total, unit)} "
                    f"{_unit_name(unit)}")


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        unit = task.fields["unit"]
        return Text("" if not speed else f"{_amount(speed, unit)} {_unit_name(unit)}/s",
                    style="cyan")


def _amount(value: float, unit: str) -> str:
    return f"{value / 1e6:,.1f}" if unit == "bytes" else f"{value:,.0f}"


def _unit_name(unit: str) -> str:
    return "MB" if unit == "bytes" else unit


class StepProgress:
    """The runner's callbacks: `__call__` when a job ends (`on_progress`), `advance` while it
    runs (`on_advance`)."""

    def __init__(self, console: Console, app: App | None = None) -> None:
        self.console, self.app = console, app
        self.names: dict[int, str] = {}
        self.steps: dict[str, StepState] = {}
        self.tasks: dict[str, TaskID] = {}
        self.lock = threading.Lock()
        self.bars = Progress(
            TextColumn("[bold]{task.fields[step]:<8}"), BarColumn(bar_width=30),
            _CountColumn(), _RateColumn(),
            TimeRemainingColumn(compact=True, elapsed_when_finished=True),
            TextColumn("{task.fields[jobs]}"), TextColumn("[dim]{task.fields[target]}"),
            console=console, refresh_per_second=4, disable=not console.is_terminal)

    def __enter__(self) -> StepProgress:
        self.bars.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.bars.stop()

    def advance(self, job: Job, done: int, total: int | None, unit: str) -> None:
        with self.lock:
            step = self._step(job)
            step.unit = unit
            step.running[job.id] = (done, total)
            self._draw(job.kind)

    def __call__(self, job: Job, outcome: str, elapsed_s: float) -> None:
        waiting = self._waiting()
        with self.lock:
            step = self._step(job)
            step.job_ended(job.id, outcome)
            for kind, state in self.steps.items():
                state.waiting = waiting.get(kind, 0)
            for kind in self.steps:
                self._draw(kind)
        if not self.console.is_terminal:  # a log, not a screen: one line per job
            mark = "ok" if outcome == "done" else f"FAILED ({outcome})"
            self.console.print(f"  {job.kind:<8} {step.target[:40]:<40} {mark:<14} "
                               f"{elapsed_s:6.2f}s", markup=False)

    def _step(self, job: Job) -> StepState:
        step = self.steps.get(job.kind)
        if step is None:
            step = self.steps[job.kind] = StepState()
            self._add_task(job.kind)
        step.target = self._target(job)
        return step

    def _add_task(self, kind: str) -> None:
        # the bars in pipeline order, whatever order the steps first report in
        later = [k for k in self.tasks if _rank(k) > _rank(kind)]
        for k in later:
            self.bars.remove_task(self.tasks.pop(k))
        for k in [kind, *later]:
            self.tasks[k] = self.bars.add_task(k, total=None, step=k, unit=JOBS, jobs="",
                                               target="")
            if k in self.steps and k != kind:
                self._draw(k)

    def _draw(self, kind: str) -> None:
        step = self.steps[kind]
        jobs = f"{step.jobs_done} job{'s' * (step.jobs_done != 1)}"
        if step.jobs_failed:
            jobs += f" [red]{step.jobs_failed} failed[/red]"
        self.bars.update(self.tasks[kind], completed=step.completed(), total=step.total(),
                         unit=step.unit, jobs=jobs, target=step.target)

    def _waiting(self) -> dict[str, int]:
        if self.app is None:
            return {}
        with self.app.connect() as conn:
            counts = queue.counts_by_kind_and_state(conn)
        return {kind: states.get("todo", 0) for kind, states in counts.items()}

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


def _rank(kind: str) -> int:
    return STEP_ORDER.index(kind) if kind in STEP_ORDER else len(STEP_ORDER)

