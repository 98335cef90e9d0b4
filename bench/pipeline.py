"""Whole-pipeline benchmark: N profiles from the inbox to the last bundle, against a raw COPY.

    .venv/bin/python bench/pipeline.py --rows 1000000 [--incremental] [--profile STEP]

Generates N synthetic profiles (the ingest bench's generator, seed 20240601), measures a raw
`COPY` of the file into one jsonb column (the floor), then drops the file into the inbox and
runs the pipeline (`run_pipeline`, as `sxp run` does) to the last bundle with the sandbox
skip-trace provider and a fixed credit budget. Prints per step: wall time, jobs, rows/s, and
the CPU of this process, of the parser processes and of Postgres; the end-to-end time with
the provider's own waiting taken out (the wall time while a provider call is under way:
pacing to the plan's rate, round trips, pauses asked for); and the ratio of end-to-end rows/s
to raw COPY rows/s. Peak RSS of this process, of the parser processes and of the largest
Postgres backend.

`--incremental`: then 10,000 new profiles (rows N+1 … N+10,000 of the same generator) dropped
on the N-profile pool (vacuumed first, as a pool at rest between drops), timed against the
same 10,000 on an empty pool in the same run.
`--profile STEP`: a cProfile of that step's jobs, taken in the threads that run them (top 30
by own time).
Uses DATABASE_URL if set, otherwise an embedded pgserver under a temp dir.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from ingest import (
    checkpoint,
    forkserver_children_cpu,
    postgres_cpu_reader,
    raw_copy,
    write_rows,
)
from scratch_db import scratch_database  # bench/ is on sys.path when run as a script

from sxp.adapters.postgres.queue import Job
from sxp.bootstrap import bootstrap
from sxp.config import Settings
from sxp.pipeline.run import run_pipeline

STEPS = ["scan", "ingest", "cards", "label", "gate", "enrich", "export", "deliver"]
NEW_ROWS = 10_000


@dataclass
class StepCost:
    spans: list[tuple[float, float]] = field(default_factory=list)  # (start, end) of each job
    jobs: int = 0
    own_cpu: float = 0.0
    parser_cpu: float = 0.0
    postgres_cpu: float = 0.0

    @property
    def wall(self) -> float:
        """The time its jobs cover, overlaps counted once."""
        covered, until = 0.0, float("-inf")
        for start, end in sorted(self.spans):
            covered += max(end - max(start, until), 0.0)
            until = max(until, end)
        return covered


class ProviderClock:
    """The provider's own waiting: wall time while any provider call is under way
    (`ResilientCaller.call`: pacing to the plan's rate, the round trips, the pauses a 429 asks
    for), overlapping calls counted once. Measured where it happens, not inferred from CPU
    (autovacuum's CPU during the enrich jobs hid it)."""

    def __init__(self) -> None:
        from sxp.adapters.providers import resilience

        self.seconds = 0.0
        self._active = 0
        self._since = 0.0
        self._lock = threading.Lock()
        self._caller = resilience.ResilientCaller
        self._original = self._caller.call
        clock = self

        def timed(caller: Any, send: Any, *, records: int) -> Any:
            clock._enter()
            try:
                return clock._original(caller, send, records=records)
            finally:
                clock._leave()

        self._caller.call = timed  # type: ignore[method-assign]

    def _enter(self) -> None:
        with self._lock:
            if self._active == 0:
                self._since = time.perf_counter()
            self._active += 1

    def _leave(self) -> None:
        with self._lock:
            self._active -= 1
            if self._active == 0:
                self.seconds += time.perf_counter() - self._since

    def close(self) -> None:
        self._caller.call = self._original  # type: ignore[method-assign]


@dataclass
class Meter:
    """The runner's progress callback. `run_pipeline` runs a job beside others only when they
    are all enrichment batches (`runner.RUN_BESIDE`), so the CPU spent since the previous job
    ended belongs to this job's step, and a step's wall time is the span its jobs cover (two
    enrichment batches at once count once)."""

    postgres: Callable[[], float] | None
    steps: dict[str, StepCost] = field(default_factory=dict)
    pg_peak_kb: int = 0
    provider_wait_s: float = 0.0

    def __post_init__(self) -> None:
        self.last = self._cpu()

    def _cpu(self) -> tuple[float, float, float]:
        mine = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (mine.ru_utime + mine.ru_stime,
                kids.ru_utime + kids.ru_stime + forkserver_children_cpu(),
                self.postgres() if self.postgres else 0.0)

    def __call__(self, job: Job, outcome: str, elapsed_s: float) -> None:
        now = self._cpu()
        cost = self.steps.setdefault(job.kind, StepCost())
        ended = time.perf_counter()
        cost.spans.append((ended - elapsed_s, ended))
        cost.jobs += 1
        cost.own_cpu += now[0] - self.last[0]
        cost.parser_cpu += now[1] - self.last[1]
        cost.postgres_cpu += now[2] - self.last[2]
        self.last = now
        self.pg_peak_kb = max(self.pg_peak_kb, postgres_peak_rss_kb())


def postgres_peak_rss_kb() -> int:
    """The largest peak RSS (VmHWM) of a Postgres process on this machine."""
    peak = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        if not status.startswith("Name:\tpostgres"):
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]))
    return peak


def run_once(uri: str, home: Path, path: Path, args: argparse.Namespace,
             label: str) -> tuple[float, Meter, dict[str, Any]]:
    settings = Settings(DATABASE_URL=uri, SXP_HOME=home, SXP_LOG_LEVEL="WARNING",
                        SXP_CREDIT_BUDGET_PER_RUN=args.budget,
                        SXP_CREDIT_BUDGET_PER_DAY=args.budget)
    app = bootstrap(settings)
    try:
        app.store.put_file(f"{settings.inbox_prefix}bench/{label}-{path.name}", path)
        checkpoint(uri)
        meter = Meter(postgres_cpu_reader(uri))
        profiles = StepProfiles(args.profile) if args.profile and label == "pool" else None
        clock = ProviderClock()
        started = time.perf_counter()
        try:
            run_pipeline(app, on_progress=meter, max_idle_wait_s=5)
        finally:
            clock.close()
        elapsed = time.perf_counter() - started
        meter.provider_wait_s = clock.seconds
        if profiles is not None:
            profiles.close()
        with app.connect() as conn:
            counts = conn.execute(
                "SELECT (SELECT count(*) FROM social.raw_social_profiles) AS profiles,"
                " (SELECT count(*) FROM execution.lead_cards) AS cards,"
                " (SELECT coalesce(sum(card_count), 0) FROM execution.export_batches) AS exported,"
                " (SELECT count(*) FROM execution.export_batches) AS batches").fetchone()
        return elapsed, meter, dict(counts or {})
    finally:
        app.close()


def settle(uri: str) -> None:
    """The pool at rest, as between two drops in production: vacuumed and analyzed (what
    autovacuum would otherwise still be doing while the next drop is measured)."""
    started = time.perf_counter()
    with psycopg.connect(uri, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    print(f"(the pool vacuumed and analyzed in {time.perf_counter() - started:.1f} s, "
          "not counted)")


class StepProfiles:
    """A cProfile of every job of one step, in the job's own thread (the job loop runs jobs
    on threads, which a profile of the main thread does not see); printed on close."""

    def __init__(self, step: str) -> None:
        from sxp.pipeline import runner

        self.step, self.runner = step, runner
        self.original = runner.handler_for
        self.stats: pstats.Stats | None = None
        runner.handler_for = self._handler_for  # type: ignore[assignment]

    def _handler_for(self, kind: str) -> Callable[[Any, Job], None]:
        handler = self.original(kind)
        if kind != self.step:
            return handler

        def profiled(app: Any, job: Job) -> None:
            profiler = cProfile.Profile()
            profiler.enable()
            try:
                handler(app, job)
            finally:
                profiler.disable()
                if self.stats is None:
                    self.stats = pstats.Stats(profiler)
                else:
                    self.stats.add(profiler)

        return profiled

    def close(self) -> None:
        self.runner.handler_for = self.original  # type: ignore[assignment]
        print(f"--- cProfile of the {self.step} step's jobs (top 30 by own time) ---")
        if self.stats is not None:
            self.stats.sort_stats("tottime").print_stats(30)


def report(rows: int, elapsed: float, meter: Meter, counts: dict[str, Any],
           copy_s: float | None) -> float:
    print(f"{'step':<8} {'wall s':>8} {'jobs':>6} {'rows/s':>12} {'this cpu':>9} "
          f"{'parsers':>8} {'postgres':>9}")
    for step in STEPS:
        cost = meter.steps.get(step)
        if cost is None:
            continue
        rate = rows / cost.wall if cost.wall else 0.0
        print(f"{step:<8} {cost.wall:8.1f} {cost.jobs:6d} {rate:12,.0f} {cost.own_cpu:9.1f} "
              f"{cost.parser_cpu:8.1f} {cost.postgres_cpu:9.1f}")
    waiting = meter.provider_wait_s
    net = elapsed - waiting
    between = elapsed - sum(cost.wall for cost in meter.steps.values())
    print(f"end to end {elapsed:.1f} s ({between:.1f} s of it outside jobs: the scan, the run's"
          f" own queries, the loop between jobs); provider's own waiting {waiting:.1f} s;"
          f" without it {net:.1f} s = {rows / net:,.0f} rows/s; {counts}")
    if copy_s:
        ratio = copy_s / net
        print(f"ratio end-to-end rows/s (provider waiting excluded) / raw COPY rows/s: "
              f"{ratio:.3f}")
        return ratio
    return 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--budget", type=int, default=20_000,
                        help="credits per run and per day (fixed, so enrichment is bounded)")
    parser.add_argument("--incremental", action="store_true")
    parser.add_argument("--profile", choices=STEPS, metavar="STEP",
                        help="a cProfile of that step's jobs (in their threads) on the pool")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sxp-bench-pipeline-") as tmp_name:
        tmp = Path(tmp_name)
        pool = tmp / "profiles.jsonl"
        write_rows(pool, args.rows, args.seed)
        print(f"{args.rows:,} profiles, {pool.stat().st_size / 1e6:,.0f} MB, seed {args.seed}")
        with scratch_database(tmp) as uri:
            copy_s, _wal = raw_copy(uri, pool)
            with psycopg.connect(uri, autocommit=True) as conn:
                conn.execute("DROP TABLE bench_raw")
            print(f"raw COPY: {copy_s:.1f} s = {args.rows / copy_s:,.0f} rows/s")
            elapsed, meter, counts = run_once(uri, tmp / "home", pool, args, "pool")
            report(args.rows, elapsed, meter, counts, copy_s)
            if args.incremental:
                fresh = tmp / "new.jsonl"
                write_rows(fresh, NEW_ROWS, args.seed, skip=args.rows)
                settle(uri)
                on_pool, meter_pool, counts_pool = run_once(uri, tmp / "home", fresh, args,
                                                            "new")
                print(f"--- {NEW_ROWS:,} new profiles on the {args.rows:,}-profile pool ---")
                report(NEW_ROWS, on_pool, meter_pool, counts_pool, None)
        if args.incremental:
            (tmp / "empty").mkdir()
            with scratch_database(tmp / "empty") as uri:
                on_empty, meter_empty, counts_empty = run_once(uri, tmp / "home-empty", fresh,
                                                               args, "new")
                print(f"--- the same {NEW_ROWS:,} on an empty pool ---")
                report(NEW_ROWS, on_empty, meter_empty, counts_empty, None)
                net_pool = on_pool - meter_pool.provider_wait_s
                net_empty = on_empty - meter_empty.provider_wait_s
                print(f"incremental: {net_pool:.1f} s on the pool vs {net_empty:.1f} s on an "
                      f"empty pool (provider waiting excluded) = {net_pool / net_empty:.2f}x")
        peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        peak_kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"peak RSS: this process {peak_self:,.0f} MB, parser processes "
              f"{peak_kids:,.0f} MB, largest Postgres process {meter.pg_peak_kb / 1024:,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
