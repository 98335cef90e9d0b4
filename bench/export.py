"""Time the export step and verify-bundle on N synthetic ready cards.

    .venv/bin/python bench/export.py --cards 100000

Uses the embedded defaults (pgserver Postgres and a local folder store) under a temp dir, or
DATABASE_URL / SPACES_* when set. Cards, profiles and contacts are synthetic (generate_series).
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

from sxp.bootstrap import bootstrap
from sxp.config import Settings
from sxp.pipeline.export import export
from sxp.pipeline.verify import verify_bundle

SEED_SQL = """
INSERT INTO social.raw_social_profiles (platform, handle, display_name, bio, location, followers,
    posts, scraped_at, content_hash)
SELECT (ARRAY['x', 'tiktok', 'threads'])[1 + g %% 3], 'bench_' || g, 'Bench Person ' || g,
       'synthetic bio number ' || g || ' about fitness and coaching', 'Austin, TX',
       1000 + g, g %% 500, now(), md5(g::text)
FROM generate_series(1, %(n)s) g;
INSERT INTO execution.lead_cards (profile_id, platform, handle, profile_hash, readiness,
    readiness_score, base_confidence, persona, tribe, audience_pool, execution_label,
    ruleset_version, rules_fired, labeled_at, enrich_state)
SELECT id, platform, handle, content_hash, 'ready', 0.75, 0.6, 'creator', 'fitness', 'fit_pool',
       CASE WHEN id %% 5 = 0 THEN 'enrich_now' ELSE 'export_only' END, 'bench', '["r1"]', now(),
       CASE WHEN id %% 5 = 0 THEN 'enriched' ELSE 'ineligible' END
FROM social.raw_social_profiles WHERE handle LIKE 'bench_%%';
INSERT INTO contact.contacts (card_id, provider, fetched_at, confidence, first_name, last_name,
    emails, phones)
SELECT id, 'skiptrace', now(), 0.9, 'Bench', 'Person',
       jsonb_build_array('bench' || id || '@example.com'),
       jsonb_build_array(jsonb_build_object(
           'number', '+1555010' || lpad((id %% 10000)::text, 4, '0'),
           'type', 'mobile', 'dnc', false, 'tcpa', false))
FROM execution.lead_cards WHERE enrich_state = 'enriched' AND handle LIKE 'bench_%%';
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sxp-bench-export-") as home:
        os.environ.setdefault("SXP_HOME", home)
        os.environ.setdefault("SXP_ENV", "bench")
        app = bootstrap(Settings(), configure_logs=False)
        try:
            with app.connect() as conn:
                for statement in SEED_SQL.split(";\n"):
                    if statement.strip():
                        conn.execute(statement, {"n": args.cards})  # type: ignore[call-overload]
                conn.commit()
            started = time.perf_counter()
            (result,) = export(app, max_cards=args.cards)  # one consumer, one batch
            export_s = time.perf_counter() - started
            started = time.perf_counter()
            report = verify_bundle(app, result.manifest_url)
            verify_s = time.perf_counter() - started
            size = app.store.head(result.manifest_key.replace("manifest.json",
                                                               "lead_cards.jsonl.gz"))
        finally:
            app.close()
            _stop_embedded(Path(home))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"cards exported : {result.record_count:,}")
    print(f"export         : {export_s:.2f} s  ({result.record_count / export_s:,.0f} cards/s)")
    print(f"verify-bundle  : {verify_s:.2f} s  ({report.record_count / verify_s:,.0f} records/s)")
    print(f"bundle size    : {(size.size if size else 0) / 1e6:.1f} MB gzip")
    print(f"peak RSS       : {rss_mb:.0f} MB")


def _stop_embedded(home: Path) -> None:
    if (home / "pgdata").exists():
        import pgserver

        pgserver.get_server(home / "pgdata", cleanup_mode="stop").cleanup()


if __name__ == "__main__":
    main()
