"""Enrichment benchmark: N cards through the worker against a rate-limited, slow emulator.

    .venv/bin/python bench/enrich.py [--workers 4]

The skip-trace emulator adds `--latency` seconds per call and allows `--calls-per-s` bulk calls
per second (429 past that). The adapter's client-side limiter spaces calls at `--client-share`
of that rate (0.93 by default; the shipped `SKIPTRACE_RATE_PER_S`, 45/s, is 0.9 of
BatchData's 50/s) and never lets more than that many calls through in any 1.02 s window, so
the steady state should see no 429. At a share of 1.0 a call sent a few milliseconds late by a
busy machine lands in the next call's second: the headroom is what keeps four processes on two
cores under the plan. Batches hold `--batch-size` cards (a multiple of the 100-record bulk
size keeps every call full). Prints records/s against
the allowed rate, the 429s seen, and credits spent against credits reserved. `--workers N`
runs N `sxp worker` processes instead, each configured with the full client-side rate as
separate instances are: the provider's send schedule in Postgres has to keep them together
under the plan. Uses DATABASE_URL if set, otherwise an embedded pgserver under a temp dir.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from scratch_db import scratch_database  # bench/ is on sys.path when run as a script

from sxp.adapters.postgres import queue
from sxp.bootstrap import App, bootstrap
from sxp.config import Settings
from sxp.entrypoints.worker import run_worker
from sxp.sandbox import start_sandbox

STATES = ("TX", "CA", "NY", "FL", "IL", "WA", "CO", "GA")



def seed_batches(app: App, cards: int, batch_size: int) -> int:
    """Synthetic profiles, cards with enrich inputs, batches with reservations, one job each."""
    with app.connect() as conn:
        conn.execute(
            "INSERT INTO social.raw_social_profiles (platform, handle, scraped_at, content_hash)"
            " SELECT 'x', 'bench_creator_' || g, now(), md5(g::text)"
            " FROM generate_series(1, %s) AS g",
            (cards,),
        )
        conn.execute(
            "INSERT INTO execution.lead_cards (profile_id, platform, handle, profile_hash,"
            " readiness, readiness_score, base_confidence, execution_label, labeled_at,"
            " enrich_state, enrichment_batch_id, lookup_inputs)"
            " SELECT p.id, 'x', p.handle, p.content_hash, 'ready', 0.9, 0.8, 'enrich', now(),"
            "  'queued', 'bench-' || lpad(((row_number() OVER (ORDER BY p.id) - 1) / %s)::text,"
            "  4, '0'), jsonb_build_object('first_name', 'Bench' || p.id, 'last_name', 'Synthson',"
            "  'city', 'Austin', 'state', (%s::text[])[1 + p.id %% 8])"
            " FROM social.raw_social_profiles p",
            (batch_size, list(STATES)),
        )
        batches = conn.execute(
            "INSERT INTO execution.enrichment_batches (id, provider, card_count, credits_reserved)"
            " SELECT enrichment_batch_id, 'skiptrace', count(*), count(*)"
            " FROM execution.lead_cards GROUP BY enrichment_batch_id RETURNING id"
        ).fetchall()
        conn.execute(
            "INSERT INTO execution.credit_ledger (provider, batch_id, entry, credits)"
            " SELECT provider, id, 'reserve', credits_reserved"
            " FROM execution.enrichment_batches"
        )
        for row in batches:
            queue.enqueue(
                conn, "enrich", {"batch_id": row["id"]}, queueing_lock=f"enrich:{row['id']}"
            )
        conn.commit()
    return len(batches)


def totals(app: App) -> dict[str, Any]:
    with app.connect() as conn:
        ledger = {
            r["entry"]: int(r["n"])
            for r in conn.execute(
                "SELECT entry, sum(credits) AS n FROM execution.credit_ledger GROUP BY entry"
            )
        }
        batch = conn.execute(
            "SELECT count(*) FILTER (WHERE state = 'done') AS done,"
            " sum(cards_enriched) AS enriched, sum(cards_not_found) AS not_found"
            " FROM execution.enrichment_batches"
        ).fetchone()
    assert batch is not None
    return {"ledger": ledger, **{k: int(v or 0) for k, v in batch.items()}}


def run(uri: str, home: Path, args: argparse.Namespace) -> dict[str, Any]:
    sandbox = start_sandbox("skiptrace", latency_s=args.latency, rate_per_s=args.calls_per_s)
    settings = Settings(
        DATABASE_URL=uri,
        SXP_HOME=home,
        SXP_LOG_LEVEL="WARNING",
        SKIPTRACE_BASE_URL=sandbox.base_url,
    )
    app = bootstrap(settings)
    try:
        n_batches = seed_batches(app, args.cards, args.batch_size)
        started = time.perf_counter()
        if args.workers > 1:  # worker processes sharing the provider's plan
            processed = run_worker_processes(uri, home, sandbox.base_url, args)
        else:
            app.provider("skiptrace", rate_per_s=args.calls_per_s * args.client_share)
            processed = run_worker(
                app, concurrency=args.concurrency, kinds=["enrich"], stop_when_idle=True
            )
        elapsed = time.perf_counter() - started
        return {
            "elapsed": elapsed,
            "batches": n_batches,
            "processed": processed,
            "calls": sandbox.calls["total"],
            "calls_span": (sandbox.last_call_at or 0) - (sandbox.first_call_at or 0),
            "429s": sandbox.calls["status:429"],
            "charged": sandbox.credits_charged,
            **totals(app),
        }
    finally:
        app.close()
        sandbox.close()


def run_worker_processes(uri: str, home: Path, base_url: str,
                         args: argparse.Namespace) -> int:
    """`sxp worker --kinds enrich --stop-when-idle` in `args.workers` processes, each with the
    plan's full client-side rate (as separate App Platform instances would be configured):
    the provider's schedule in Postgres keeps them together under the plan."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SXP_", "SKIPTRACE_"))}
    env.update({"DATABASE_URL": uri, "SXP_LOG_LEVEL": "WARNING",
                "SKIPTRACE_BASE_URL": base_url,
                "SKIPTRACE_RATE_PER_S": str(args.calls_per_s * args.client_share)})
    procs = [subprocess.Popen(
        [sys.executable, "-m", "sxp.entrypoints.cli", "worker", "--kinds", "enrich",
         "--stop-when-idle", "--concurrency", str(args.concurrency)],
        env={**env, "SXP_HOME": str(home / f"worker-{i}")}) for i in range(args.workers)]
    codes = [p.wait() for p in procs]
    assert codes == [0] * args.workers, codes
    return args.workers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cards", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.150)
    parser.add_argument("--calls-per-s", type=float, default=10.0)
    parser.add_argument("--client-share", type=float, default=0.93,
                        help="the client-side rate as a share of the plan's")
    parser.add_argument("--concurrency", type=int, default=6)
    parser.add_argument("--workers", type=int, default=1,
                        help="worker processes (each with the full client-side rate)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sxp-bench-enrich-") as tmp_dir:
        tmp = Path(tmp_dir)
        with scratch_database(tmp) as uri:
            result = run(uri, tmp / "home", args)
    allowed = args.calls_per_s * 100
    achieved = args.cards / result["elapsed"]
    # from the first provider call to the last: the limiter's share, without process startup
    steady = (result["calls"] - 1) * 100 / result["calls_span"] if result["calls_span"] else 0
    ledger = result["ledger"]
    print(
        f"cards: {args.cards:,} in {result['batches']} batches of {args.batch_size}; "
        f"emulator: {args.latency * 1000:.0f} ms latency, {args.calls_per_s:g} bulk calls/s; "
        f"{args.workers} worker process(es) of concurrency {args.concurrency}"
    )
    print(f"elapsed               : {result['elapsed']:.2f} s  ({result['calls']} provider calls)")
    print(
        f"records/s             : {achieved:,.0f} of {allowed:,.0f} allowed "
        f"= {achieved / allowed:.2f}; between the first and the last call {steady:,.0f} "
        f"= {steady / allowed:.2f} (target >= 0.90)"
    )
    print(f"429s seen             : {result['429s']} (target 0)")
    print(
        f"credits               : reserved {ledger.get('reserve', 0)}, spent "
        f"{ledger.get('spend', 0)} (emulator billed {result['charged']}), released "
        f"{ledger.get('release', 0)}; spent + released == reserved: "
        f"{ledger.get('spend', 0) + ledger.get('release', 0) == ledger.get('reserve', 0)}"
    )
    print(
        f"batches done          : {result['done']}/{result['batches']}  enriched "
        f"{result['enriched']}, not found {result['not_found']}"
    )
    ok = result["429s"] == 0 and ledger.get("spend", 0) == result["charged"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
