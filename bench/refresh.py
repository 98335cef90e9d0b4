"""A refreshed audience pool: what re-scraping costs against bringing the same number of new
profiles, on the same pool, in the same run.

    .venv/bin/python bench/refresh.py --pool 1000000 --refresh 100000

1. A pool of `--pool` generated profiles (the ingest bench's generator, generic format, seed
   20240601) is dropped in the inbox and run through the whole pipeline (sandbox provider).
2. Refresh: `--refresh` of those profiles again, `--changed` of them (10%) re-scraped a day
   later with a new location and follower count, the rest byte-identical; `sxp run` to the last
   bundle, timed.
3. New: as many new profiles (new handles) from the same generator; `sxp run`, timed.
Printed: both run times and **their ratio (target: refresh ≤ 1.5× new)**, and the refresh's
counts: rows changed and unchanged, card versions handed over, withdrawals. The credit budget
per run is fixed (`--budget`) so enrichment costs the same in both runs.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from scratch_db import scratch_database

from sxp.bootstrap import App, bootstrap
from sxp.config import Settings
from sxp.pipeline.run import run_pipeline
from sxp.sample.generate import generate_profiles

SEED = 20240601
CITIES = ("Denver, CO", "Austin, TX", "Tampa, FL", "Boise, ID", "Reno, NV")


def pool_rows(n: int, seed: int, suffix: str = "") -> list[dict[str, Any]]:
    rows = []
    for row in generate_profiles(n, seed=seed, dup_rate=0.0, bad_rate=0.0,
                                 shapes=("generic",)):
        if suffix:
            row["handle"] = f"{row['handle']}{suffix}"
        rows.append(row)
    return rows


def refreshed(rows: list[dict[str, Any]], changed: int) -> list[dict[str, Any]]:
    """The same rows; every (len / changed)-th re-scraped a day later with new facts."""
    step = max(len(rows) // max(changed, 1), 1)
    out = []
    for i, row in enumerate(rows):
        if i % step == 0 and i // step < changed:
            when = datetime.fromisoformat(row["scraped_at"].replace("Z", "+00:00"))
            row = {**row, "location": CITIES[i % len(CITIES)],
                   "followers": int(row.get("followers") or 0) + 17,
                   "scraped_at": (when + timedelta(days=1)).astimezone(UTC).isoformat()}
        out.append(row)
    return out


def drop(app: App, key: str, rows: list[dict[str, Any]], tmp: Path) -> None:
    path = tmp / Path(key).name
    with path.open("wb") as out:
        for start in range(0, len(rows), 10_000):
            out.write(b"".join(orjson.dumps(r) + b"\n" for r in rows[start:start + 10_000]))
    app.store.put_file(f"inbox/{key}", path)
    path.unlink()


def timed_run(app: App) -> float:
    started = time.perf_counter()
    result = run_pipeline(app, max_idle_wait_s=5)
    elapsed = time.perf_counter() - started
    if result.drained.dead:
        raise SystemExit(f"the run left {result.drained.dead} dead job(s)")
    return elapsed


def handoff_since(app: App, since: datetime) -> dict[str, int]:
    with app.connect() as conn:
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE bc.action = 'record' AND bc.supersedes_version"
            "  IS NOT NULL) AS new_versions,"
            " count(*) FILTER (WHERE bc.action = 'record' AND bc.supersedes_version IS NULL)"
            "  AS first_versions,"
            " count(*) FILTER (WHERE bc.action = 'withdrawal') AS withdrawals"
            " FROM execution.batch_cards bc JOIN execution.export_batches b ON b.id = bc.batch_id"
            " WHERE b.created_at >= %s", (since,)).fetchone()
    return dict(row) if row else {}


def file_counts(app: App, key: str) -> dict[str, int]:
    with app.connect() as conn:
        row = conn.execute(
            "SELECT rows_read, rows_loaded, rows_unchanged, rows_stale, rows_rejected"
            " FROM social.source_files WHERE key = %s", (f"inbox/{key}",)).fetchone()
    return dict(row) if row else {}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", type=int, default=1_000_000)
    parser.add_argument("--refresh", type=int, default=100_000)
    parser.add_argument("--changed", type=float, default=0.10, help="share of refreshed rows"
                        " that changed")
    parser.add_argument("--budget", type=int, default=500, help="credits per run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sxp-bench-refresh-") as tmp_dir, \
            scratch_database(Path(tmp_dir)) as db_uri:
        tmp = Path(tmp_dir)
        os.environ.update({"DATABASE_URL": db_uri, "SXP_HOME": str(tmp / "home"),
                           "SXP_ENV": "bench", "SXP_LOG_LEVEL": "WARNING",
                           "SXP_CREDIT_BUDGET_PER_RUN": str(args.budget),
                           "SXP_CREDIT_BUDGET_PER_DAY": str(args.budget * 10),
                           "SKIPTRACE_RATE_PER_S": "1000"})
        app = bootstrap(Settings(), configure_logs=False)
        try:
            pool = pool_rows(args.pool, SEED)
            drop(app, "pool.jsonl", pool, tmp)
            built = timed_run(app)
            print(f"pool: {args.pool:,} profiles built in {built:.1f} s")

            changed = int(args.refresh * args.changed)
            drop(app, "refresh.jsonl", refreshed(pool[:args.refresh], changed), tmp)
            del pool
            since = datetime.now(UTC)
            refresh_s = timed_run(app)
            counts = file_counts(app, "refresh.jsonl")
            handed = handoff_since(app, since)

            drop(app, "new.jsonl", pool_rows(args.refresh, SEED + 1, suffix="_n"), tmp)
            new_s = timed_run(app)
            print(f"refresh: {args.refresh:,} profiles, {changed:,} changed: {refresh_s:.2f} s")
            print(f"new:     {args.refresh:,} new profiles on the same pool: {new_s:.2f} s")
            print(f"ratio refresh / new: {refresh_s / new_s:.2f} (target <= 1.5)")
            print(f"refresh file: {counts}")
            print(f"handed over by the refresh run: {handed}")
        finally:
            app.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
