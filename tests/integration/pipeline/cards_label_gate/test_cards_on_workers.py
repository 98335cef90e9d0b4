"""The cards step's workers read their runs of stale profiles themselves: the same chunks,
bytes for bytes and in order, as reading and scoring in the step's process; the profiles as
the step's transaction saw them when the workers started (its snapshot), not as changed and
committed since; and their connections gone when the pool ends."""

from __future__ import annotations

import gzip
import time
from typing import Any

import orjson
import psycopg

from sxp.adapters.postgres import cards as repo
from sxp.adapters.postgres.named_sql import query
from sxp.adapters.rules_file import load_ruleset
from sxp.bootstrap import App
from sxp.domain.cards import SIGNAL_FIELDS
from sxp.pipeline.cards_parallel import (
    MIN_PARALLEL_PROFILES,
    CardBuild,
    ProfileSource,
    card_scorer,
)

from .conftest import ProfileMaker

BUILD = CardBuild("2026-11-01 00:00:00+00")


def _source(app: App, conn: psycopg.Connection[Any]) -> ProfileSource:
    return ProfileSource(conn, app.database_uri, app.settings.db_role)


def _backends(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT count(*) AS n FROM pg_stat_activity"
                       " WHERE datname = current_database()").fetchone()
    return int(row["n"]) if row else 0


def test_stale_ranges_cover_the_stale_profiles_in_runs(app: App,
                                                       make_profiles: ProfileMaker) -> None:
    ids = make_profiles(25)
    with app.connect() as conn, conn.transaction():
        ranges = repo.stale_ranges(conn, 10)
        assert [(r.first_id, r.last_id, r.count) for r in ranges] == [
            (ids[0], ids[9], 10), (ids[10], ids[19], 10), (ids[20], ids[24], 5)]
        rows = [row for part in ranges for row in repo.read_stale_profiles(conn, part)]
        assert [row[0] for row in rows] == ids
        assert all(len(row) == len(SIGNAL_FIELDS) + 1 and not row[-1] for row in rows)
        assert repo.stale_ranges(conn, 10, source_file_id=99) == []  # no file named 99


def test_a_files_run_is_read_by_the_profiles_key_not_the_whole_file(
        app: App, make_profiles: ProfileMaker) -> None:
    """A run of a file's stale profiles is read by the profiles' key, its file a filter: the
    file's index, ANDed in by a planner that believed the file small (statistics from before
    its ingest), was read whole for every run of 5,000 (all a 1M file's profiles, each time)."""
    ids = make_profiles(3000)
    with app.connect() as conn:
        conn.execute("ANALYZE social.raw_social_profiles")  # no profile names a file yet
        row = conn.execute("INSERT INTO social.source_files (bucket, key, etag)"
                           " VALUES ('b', 'inbox/big.jsonl', 'e') RETURNING id").fetchone()
        assert row is not None
        conn.execute("UPDATE social.raw_social_profiles SET source_file_id = %s", (row["id"],))
        params = {"source_file_id": row["id"], "first_id": ids[1000], "last_id": ids[1099]}
        plan = "\n".join(r["QUERY PLAN"] for r in conn.execute(
            "EXPLAIN " + query("cards", "stale_profiles"), params))
        assert "raw_social_profiles_source_file" not in plan, plan
        assert len(conn.execute(query("cards", "stale_profiles"), params).fetchall()) == 100
        conn.rollback()


def test_workers_give_what_the_process_gives_in_order(app: App,
                                                      make_profiles: ProfileMaker) -> None:
    ids = make_profiles(300) + make_profiles(20, start=400, posts=0, followers=2)  # hold
    ruleset = load_ruleset(app.settings)
    build = CardBuild(BUILD.labeled_at, ruleset.gate, ("skiptrace",))  # decided, as the step
    with app.connect() as conn, conn.transaction():
        ranges = repo.stale_ranges(conn, 40)
        with card_scorer(ruleset, build, _source(app, conn), 0) as score:
            here = list(score(ranges))
        with card_scorer(ruleset, build, _source(app, conn), 2) as score:
            there = list(score(ranges))
    assert there == here
    assert [c.count for c in here] == [r.count for r in ranges]
    staged = gzip.decompress(b"".join(c.staged for c in here)).splitlines()
    assert [orjson.loads(line)["profile_id"] for line in staged] == ids
    rows = b"".join(c.new_cards for c in here).splitlines()
    assert not any(c.changed_cards for c in here)
    assert len({row.split(b"\t")[3] for row in rows}) >= 3  # personas differ across them
    assert {tuple(row.split(b"\t")[-2:]) for row in rows} == {  # and the decisions
        (b"new", b"budget_exhausted"), (b"ineligible", b"label_hold")}
    assert MIN_PARALLEL_PROFILES > 300  # the step itself would score these in process


def test_workers_read_the_profiles_as_the_step_saw_them(app: App,
                                                        make_profiles: ProfileMaker) -> None:
    ids = make_profiles(30)
    ruleset = load_ruleset(app.settings)
    with app.connect() as conn, conn.transaction():
        ranges = repo.stale_ranges(conn, 10)
        before = _backends(conn)
        with card_scorer(ruleset, BUILD, _source(app, conn), 2) as score:
            with app.connect() as other:  # changed and committed after the snapshot
                other.execute("UPDATE social.raw_social_profiles SET content_hash = 'changed'"
                              " WHERE id = %s", (ids[15],))
                other.commit()
            chunks = list(score(ranges))
        rows = b"".join(c.new_cards for c in chunks)
        assert b"changed" not in rows and b"\thash-15\t" in rows
        deadline = time.monotonic() + 10
        while _backends(conn) > before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _backends(conn) == before  # no worker connection outlives the pool
