"""Benchmark the cards, label and gate steps over N synthetic Tier 1 profiles.

Seeds N profiles with one set-based INSERT (a fixed, deterministic mix of personas, US and
non-US locations, links and counts), then times: cards (build every card), label (run the
shipped ruleset), gate --dry-run, and gate (batches within a 5,000-credit run budget). Uses
DATABASE_URL if set, otherwise an embedded pgserver under a temp dir.

    .venv/bin/python bench/cards_label_gate.py --rows 100000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from scratch_db import scratch_database  # bench/ is on sys.path when run as a script

from sxp.bootstrap import bootstrap
from sxp.config import Settings

SEED_SQL = """
INSERT INTO social.raw_social_profiles (platform, handle, display_name, bio, bio_url, location,
    is_verified, followers, following, posts, likes, account_created_at, scraped_at, content_hash)
SELECT (ARRAY['x', 'tiktok', 'threads'])[1 + mod(g, 3)], 'bench_' || g,
  (ARRAY['Avery', 'Jordan', 'Riley', 'Casey'])[1 + mod(g, 4)] || ' '
    || (ARRAY['Testerson', 'Samplewood', 'Fakeley'])[1 + mod(g, 3)],
  (ARRAY['Realtor helping home buyers', 'Personal trainer, online coaching',
         'Lash tech and makeup artist', 'Just vibes',
         'Content creator, brand deals'])[1 + mod(g, 5)],
  CASE WHEN mod(g, 3) = 0 THEN 'https://biz' || g || '.example.com' END,
  (ARRAY['Austin, TX', 'Denver, Colorado', 'Miami FL 33101', 'Lisbon, Portugal',
         NULL])[1 + mod(g, 5)],
  mod(g, 11) = 0, mod(g * 7, 100000), 100, mod(g, 3000), mod(g * 13, 1000000),
  now() - interval '1000 days', now(), 'h' || g
FROM generate_series(1, %s) g
"""



def run(uri: str, home: Path, rows: int) -> None:
    from sxp.pipeline.cards import build_cards
    from sxp.pipeline.gate import gate
    from sxp.pipeline.label import label_cards

    app = bootstrap(Settings(DATABASE_URL=uri, SXP_HOME=home, SXP_LOG_LEVEL="WARNING",
                             SXP_CREDIT_BUDGET_PER_RUN=5000, SXP_CREDIT_BUDGET_PER_DAY=100000))
    try:
        with app.connect() as conn, conn.transaction():
            conn.execute(SEED_SQL, (rows,))
        timings: list[tuple[str, float, str]] = []
        started = time.perf_counter()
        cards = build_cards(app)  # the seeded profiles name no source file: every stale one
        timings.append(("cards", time.perf_counter() - started, f"{cards.cards_written:,} cards"))
        started = time.perf_counter()
        labels = label_cards(app)
        timings.append(("label", time.perf_counter() - started, str(labels.by_execution_label)))
        started = time.perf_counter()
        dry = gate(app, dry_run=True)
        timings.append(("gate --dry-run", time.perf_counter() - started,
                        f"eligible {dry.eligible:,}, would queue {dry.cards_queued:,}"))
        started = time.perf_counter()
        real = gate(app)
        timings.append(("gate", time.perf_counter() - started,
                        f"{real.batched} batches, {real.credits_reserved:,} credits, "
                        f"ineligible {real.ineligible}"))
    finally:
        app.close()
    for name, seconds, note in timings:
        print(f"{name:15s} {seconds:7.2f} s  {rows / seconds:10,.0f} cards/s  {note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sxp-bench-cards-") as tmp_dir:
        tmp = Path(tmp_dir)
        with scratch_database(tmp) as uri:
            print(f"profiles: {args.rows:,}")
            run(uri, tmp / "home", args.rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
