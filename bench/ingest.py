"""Ingest benchmark: raw COPY into one jsonb column vs sxp ingest of the same file.

    .venv/bin/python bench/ingest.py --rows 1000000

Generates N synthetic profiles with a fixed seed (5% duplicates in case/URL variants, 1% bad
rows), writes them as JSONL, then times (a) a raw `COPY` of the file into a scratch table with a
single jsonb column (the floor no ingest can beat) and (b) `sxp` ingest of the same file from the
object store to deduped Tier 1 + staged normalized JSONL + rejects. Uses DATABASE_URL if set,
otherwise an embedded pgserver under a temp dir. Prints rows/s for both, the ratio, where the CPU
went during (b) (parser processes, this process, the Postgres server when it is local) and peak
RSS; `--profile` adds cProfiles of the main process and of a parser process. Each timed phase
starts after a checkpoint, so neither pays for WAL the other wrote. `--redelivery` adds (e): the
byte-identical file at a new key, recognized by its sha256 as a duplicate of (b) and not
merged, and (c): the same rows ingested again as a new file whose content is not known as an
import (its import record is removed first), where every key is in Tier 1 and unchanged.
(d), unless `--no-python-only`: the file again into an emptied Tier 1 on the Python path alone
(SXP_INGEST_NATIVE=false), beside the native figure; the first line says whether the native
path is in use.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import os
import pstats
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import psycopg
from psycopg.rows import dict_row
from scratch_db import scratch_database  # bench/ is on sys.path when run as a script

from sxp.bootstrap import App, bootstrap
from sxp.config import Settings
from sxp.pipeline.status import native_ingest_state
from sxp.sample.generate import generate_profiles


def write_rows(path: Path, rows: int, seed: int, skip: int = 0) -> int:
    """Rows skip … skip+rows-1 of the generator's sequence as JSONL (the same seed, the same
    rows); the file's size."""
    with path.open("wb") as out:
        batch: list[bytes] = []
        for i, row in enumerate(generate_profiles(skip + rows, seed=seed)):
            if i < skip:
                continue
            batch.append(orjson.dumps(row))
            if len(batch) >= 10_000:
                out.write(b"\n".join(batch) + b"\n")
                batch.clear()
        if batch:
            out.write(b"\n".join(batch) + b"\n")
    return path.stat().st_size


def checkpoint(uri: str) -> None:
    """Start a timed phase from a clean server: a checkpoint now, so that none falls inside the
    phase because of WAL an earlier phase wrote (skipped when the role may not do it)."""
    with (psycopg.connect(uri, autocommit=True) as conn,
          contextlib.suppress(psycopg.errors.InsufficientPrivilege)):
        conn.execute("CHECKPOINT")


def raw_copy(uri: str, path: Path) -> tuple[float, str]:
    with psycopg.connect(uri) as conn:
        conn.execute("CREATE TABLE bench_raw (doc jsonb)")
        conn.commit()
        checkpoint(uri)
        wal = wal_reader(uri)
        started = time.perf_counter()
        with conn.cursor() as cur, cur.copy(
                "COPY bench_raw (doc) FROM STDIN WITH (FORMAT csv, QUOTE e'\\x01',"
                " DELIMITER e'\\x02')") as copy, path.open("rb") as src:
            while chunk := src.read(1 << 20):
                copy.write(chunk)
        conn.commit()
        return time.perf_counter() - started, wal()


def postgres_cpu_reader(uri: str) -> Callable[[], float] | None:
    """CPU seconds the Postgres server has spent (its postmaster, reaped and live backends);
    None when the server does not run on this machine."""
    with psycopg.connect(uri) as conn:
        backend = conn.info.backend_pid
        try:
            status = Path(f"/proc/{backend}/status").read_text()
        except OSError:
            return None
    postmaster = int(next(line.split()[1] for line in status.splitlines()
                          if line.startswith("PPid:")))
    tick = os.sysconf("SC_CLK_TCK")

    def fields(pid: str | int) -> list[str]:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()

    def read() -> float:
        own = fields(postmaster)  # utime, stime, cutime (reaped backends), cstime
        total = sum(int(v) for v in own[11:15])
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                stat = fields(pid)
            except OSError:
                continue
            if stat[1] == str(postmaster):
                total += int(stat[11]) + int(stat[12])
        return total / tick

    return read


def wal_reader(uri: str) -> Callable[[], str]:
    """Start counting the WAL the server writes and the checkpoints it starts; the returned
    function says how many since (a checkpoint makes the next change of every page log the
    whole page, so one that starts during a run costs that run extra WAL and CPU)."""
    with psycopg.connect(uri) as conn:  # Postgres 17 moved the counters to their own view
        newer = conn.info.server_version >= 170000
    counters = ("SELECT num_timed + num_requested FROM pg_stat_checkpointer" if newer else
                "SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter")
    query = f"SELECT pg_current_wal_lsn() AS lsn, ({counters}) AS checkpoints"

    def now() -> dict[str, Any]:
        with psycopg.connect(uri) as conn, conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(query).fetchone()
            assert row is not None
            return row

    start = now()

    def report() -> str:
        end = now()
        with psycopg.connect(uri) as conn:
            row = conn.execute("SELECT pg_wal_lsn_diff(%s, %s)", (end["lsn"], start["lsn"])
                               ).fetchone()
        assert row is not None
        return (f"WAL {float(row[0]) / 1e6:,.0f} MB,"
                f" checkpoints started {end['checkpoints'] - start['checkpoints']}")

    return report


def forkserver_children_cpu() -> float:
    """CPU seconds of the parser processes: they are children of the multiprocessing
    forkserver (which reaps them), not of this process."""
    from multiprocessing import forkserver

    pid = getattr(forkserver._forkserver, "_forkserver_pid", None)
    if pid is None:
        return 0.0
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(stat[13]) + int(stat[14])) / os.sysconf("SC_CLK_TCK")  # cutime, cstime


def cpu_split(postgres: Callable[[], float] | None) -> Callable[[], str]:
    """Start counting CPU seconds; the returned function says where they went since."""
    def now() -> tuple[float, float, float]:
        mine = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (mine.ru_utime + mine.ru_stime,
                kids.ru_utime + kids.ru_stime + forkserver_children_cpu(),
                postgres() if postgres else 0.0)

    start = now()

    def report() -> str:
        mine, parsers, server = (b - a for a, b in zip(start, now(), strict=True))
        text = f"parser processes {parsers:.1f} s, this process {mine:.1f} s"
        return text + (f", Postgres {server:.1f} s" if postgres else ", Postgres not local")

    return report


@dataclass(frozen=True)
class Timed:
    seconds: float
    counts: dict[str, int]
    spent: str  # where the CPU went, WAL and checkpoints


def sxp_ingest(uri: str, home: Path, path: Path, profile: bool = False,
               redelivery: bool = False, python_only: bool = False) -> list[Timed]:
    """(b) the file ingested into an empty Tier 1; with `redelivery`, (c) the same rows again
    as a new file, every key known and unchanged; with `python_only`, (d) the file into an
    emptied Tier 1 again with the native path switched off (SXP_INGEST_NATIVE=false)."""
    settings = Settings(DATABASE_URL=uri, SXP_HOME=home, SXP_LOG_LEVEL="WARNING")
    app = bootstrap(settings)
    try:
        print(f"native path             : {native_ingest_state(settings.ingest_native)}")
        inbox = f"{settings.inbox_prefix}bench/"
        runs = [timed_ingest(app, uri, f"{inbox}{path.name}", path, profile)]
        if redelivery:
            runs.append(timed_ingest(app, uri, f"{inbox}copy-{path.name}", path))
            with psycopg.connect(uri, autocommit=True) as conn:  # forget the content: merge
                conn.execute("TRUNCATE social.imports CASCADE")
            runs.append(timed_ingest(app, uri, f"{inbox}again-{path.name}", path))
        if python_only:
            with psycopg.connect(uri, autocommit=True) as conn:
                conn.execute("TRUNCATE social.raw_social_profiles, social.source_files,"
                             " social.imports, queue.jobs CASCADE")
            app.settings = settings.model_copy(update={"ingest_native": False})
            runs.append(timed_ingest(app, uri, f"{inbox}python-{path.name}", path))
        return runs
    finally:
        app.close()


def timed_ingest(app: App, uri: str, key: str, path: Path, profile: bool = False) -> Timed:
    from sxp.pipeline.ingest import ingest_file
    from sxp.pipeline.scan import scan

    app.store.put_file(key, path)
    profiler = cProfile.Profile() if profile else None
    checkpoint(uri)
    cpu = cpu_split(postgres_cpu_reader(uri))
    wal = wal_reader(uri)
    started = time.perf_counter()
    scan(app)
    with app.connect() as conn:
        row = conn.execute("SELECT max(id) AS id FROM social.source_files").fetchone()
    assert row is not None
    if profiler is not None:
        profiler.enable()
    outcome = ingest_file(app, int(row["id"]))
    elapsed = time.perf_counter() - started
    spent = cpu() + "; " + wal()
    if profiler is not None:
        profiler.disable()
        print("--- cProfile of the sxp ingest (main process, top 15 by own time) ---")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
        profile_parser(path)
    merge = outcome.merge
    if outcome.state == "duplicate":
        return Timed(elapsed, {"duplicate": 1}, spent)
    assert merge is not None, outcome
    return Timed(elapsed, {"read": outcome.rows_read, "rejected": outcome.rows_rejected,
                           "loaded": merge.loaded, "unchanged": merge.unchanged,
                           "deduped": merge.deduped}, spent)


def profile_parser(path: Path, size: int = 16 << 20) -> None:
    """What a parser process spends per row: its block function over the file's first 16 MB."""
    from datetime import UTC, datetime

    from sxp.pipeline.ingest_parallel import iter_blocks, process_block

    with path.open("rb") as src:
        blocks = []
        for _line, block in iter_blocks(src, 1_000_000):
            blocks.append((_line, block))
            if sum(len(b) for _l, b in blocks) >= size:
                break
    profiler = cProfile.Profile()
    rows = 0
    started = time.process_time()
    profiler.enable()
    for first_line, block in blocks:
        rows += process_block(first_line, block, 1_000_000, None, datetime.now(UTC), "k", 1,
                              str(path.with_suffix(".part"))).read
    profiler.disable()
    spent = time.process_time() - started
    print(f"--- cProfile of a parser process ({rows:,} rows, {spent / rows * 1e6:.1f} us/row"
          " CPU under the profiler; top 15 by own time) ---")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--profile", action="store_true",
                        help="print cProfiles of the sxp side (main process, parser process)")
    parser.add_argument("--redelivery", action="store_true",
                        help="(e) the same bytes at a new key (a duplicate), (c) the same rows"
                        " again as a new file (every key known)")
    parser.add_argument("--no-python-only", dest="python_only", action="store_false",
                        help="skip (d), the same file on the Python path alone")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sxp-bench-") as tmp_dir:
        tmp = Path(tmp_dir)
        with scratch_database(tmp) as uri:
            path = tmp / "profiles.jsonl"
            size = write_rows(path, args.rows, args.seed)
            print(f"rows: {args.rows:,}  file: {size / 1e6:.1f} MB "
                  f"({size / args.rows:.0f} bytes/row)  seed: {args.seed}")
            copy_s, copy_wal = raw_copy(uri, path)
            runs = sxp_ingest(uri, tmp / "home", path, args.profile, args.redelivery,
                              args.python_only)
    copy_rate = args.rows / copy_s
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"(a) raw COPY into jsonb : {copy_s:7.2f} s  {copy_rate:10,.0f} rows/s")
    print(f"during (a)              : {copy_wal}")
    labels = [("b", "sxp ingest")] + [
        ("e", "same bytes again"), ("c", "same rows again")] * args.redelivery + [
        ("d", "Python path only")] * args.python_only
    for (name, label), run in zip(labels, runs, strict=True):
        rate = args.rows / run.seconds
        print(f"({name}) {label:<20}: {run.seconds:7.2f} s  {rate:10,.0f} rows/s  {run.counts}")
        print(f"ratio ({name})/(a)           : {rate / copy_rate:.2f}")
        print(f"CPU during ({name})          : {run.spent}")
    if args.profile:
        print("(--profile: the parser processes inherit the profiler and the parser profile holds"
              " 16 MB of blocks; take rates and RSS from a run without it)")
    print(f"peak RSS (this process) : {peak_mb:.0f} MB")
    children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS (largest child): {children_mb:.0f} MB  (parser processes, pg_ctl)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
