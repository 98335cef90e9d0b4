"""ChunkedMerge on real Postgres: probed and optimistic chunks end in the same Tier 1."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from sxp.adapters.postgres.profiles import ChunkedMerge, MergeResult, TupleFields, WrittenKeys
from sxp.adapters.postgres.tier1_rows import ChunkEncoder
from sxp.bootstrap import App
from sxp.domain.profile_builder import build_profile
from sxp.native import load as load_native

EARLIER, THIS = 1, 2


def _profile(handle: str, name: str, day: int) -> dict[str, Any]:
    return build_profile({"handle": handle, "display_name": name,
                          "scraped_at": f"2025-03-{day:02d}T00:00:00Z"}, "x",
                         datetime(2025, 4, 1, tzinfo=UTC))


def _new(first: int, last: int) -> list[dict[str, Any]]:
    return [_profile(f"n{i}", f"N{i}", 10) for i in range(first, last)]


class EverySeen:
    """A filter that reports every key as maybe written: the worst false-positive rate."""

    def add(self, platforms: str, handles: str) -> list[int]:
        return list(range(handles.count("\n") + 1))


def _merge(app: App, source_file_id: int, chunks: list[list[dict[str, Any]]],
           written: WrittenKeys | None, tuple_fields: TupleFields | None = None) -> MergeResult:
    with app.connect() as conn, conn.transaction():
        with ChunkedMerge(conn, source_file_id, written, tuple_fields) as merge:
            for chunk in chunks:
                merge.submit(ChunkEncoder(source_file_id).encode(chunk))
        return merge.finish(sum(len(c) for c in chunks))


def _ways() -> dict[str, tuple[Any, Any]]:
    """How Tier 1 is asked: (a filter of written keys, the tuple-fields reader)."""
    native = load_native()
    key_filter = native.KeyFilter if native else None
    fields = native.tuple_fields if native else None
    return {"native": (key_filter, fields), "native_two_savepoints": (key_filter, fields),
            "native_filter_only": (key_filter, None), "probe_only": (lambda: None, None),
            "every_key_seen": (EverySeen, fields)}


def _xid(app: App) -> int:
    with app.connect() as conn:
        row = conn.execute("SELECT pg_current_xact_id()::text::bigint AS xid").fetchone()
    assert row is not None
    return int(row["xid"])


@pytest.mark.parametrize("kind", list(_ways()))
def test_chunks_land_the_same_whichever_way_tier1_is_asked(app: App, kind: str,
                                                           monkeypatch: Any) -> None:
    import sxp.adapters.postgres.profiles as profiles

    make_filter, tuple_fields = _ways()[kind]
    if make_filter is None:
        pytest.fail("the native extension is not built (make builds it)")
    if kind == "native_two_savepoints":
        monkeypatch.setattr(profiles, "SAVEPOINTS_PER_INGEST", 2)
    chunks = [
        _new(0, 10),                                      # new keys only
        [*_new(10, 15), _profile("e2", "E2 new", 12)],    # an earlier file's key, changed
        _new(15, 20),                                     # new keys again
        [*_new(20, 25), _profile("n3", "N3 new", 11),     # this file's key, newer scrape
         _profile("e4", "E4", 4)],                        # an earlier key, older, unchanged
        [_profile("n7", "N7", 9), *_new(25, 30),          # this file's key, older, unchanged
         _profile("n8", "N8", 10), _profile("e1", "E1", 5)],  # both exactly as Tier 1 has them
    ]
    expected = {"native": 3, "native_two_savepoints": 2, "native_filter_only": 3}.get(kind, 0)
    for attempt in range(3):  # the counter is global: another session may take an id meanwhile
        if attempt:  # (an autoanalyze does); then Tier 1 is emptied, refilled and measured again
            with app.connect() as conn:
                conn.execute("DELETE FROM social.raw_social_profiles")
                conn.commit()
        _merge(app, EARLIER, [[_profile(f"e{i}", f"E{i}", 5) for i in range(5)]],
               make_filter(), tuple_fields)
        before = _xid(app)
        result = _merge(app, THIS, chunks, make_filter(), tuple_fields)
        # one transaction id for the ingest, one per savepoint that wrote, one for each _xid()
        subtransactions = _xid(app) - before - 2
        if subtransactions == expected:
            break
    assert subtransactions == expected
    with app.connect() as conn:
        rows = conn.execute("SELECT handle, display_name, source_file_id, first_seen, last_seen"
                            " FROM social.raw_social_profiles").fetchall()
    tier1 = {r["handle"]: r for r in rows}
    assert len(rows) == len(tier1) == 35
    assert (result.staged, result.distinct, result.loaded, result.deduped) == (36, 33, 31, 3)
    assert {h: r["display_name"] for h, r in tier1.items() if r["source_file_id"] == EARLIER} == {
        "e0": "E0", "e1": "E1", "e3": "E3", "e4": "E4"}
    assert (tier1["e2"]["display_name"], tier1["e2"]["source_file_id"]) == ("E2 new", THIS)
    assert tier1["n3"]["display_name"] == "N3 new" and tier1["n3"]["last_seen"].day == 11
    assert (tier1["n7"]["first_seen"].day, tier1["n7"]["last_seen"].day) == (9, 10)
    assert (tier1["e4"]["first_seen"].day, tier1["e4"]["last_seen"].day) == (4, 5)
    assert all(tier1[f"n{i}"]["display_name"] == f"N{i}" for i in range(30) if i != 3)


def test_a_redelivered_chunk_is_refused_by_the_index_and_then_merged(app: App) -> None:
    native = load_native()
    assert native is not None, "the native extension is not built (make builds it)"
    chunk = _new(0, 300)
    first = _merge(app, EARLIER, [chunk], native.KeyFilter(), native.tuple_fields)
    again = _merge(app, THIS, [chunk, _new(300, 310)], native.KeyFilter(), native.tuple_fields)
    assert (first.loaded, again.loaded, again.unchanged, again.distinct) == (300, 10, 300, 310)
    with app.connect() as conn:
        row = conn.execute("SELECT count(*) AS n, count(*) FILTER (WHERE source_file_id = 2)"
                           " AS mine FROM social.raw_social_profiles").fetchone()
    assert row is not None and (row["n"], row["mine"]) == (310, 10)


def test_the_probe_looks_keys_up_even_after_tier1_was_analyzed_while_refilling(
        app: App) -> None:
    # an ingest refills an emptied Tier 1; meanwhile an autoanalyze sees its pages and none of
    # the uncommitted rows (0 rows estimated). The probe must still look each key up by the
    # unique index instead of walking Tier 1 against every key of the chunk
    from sxp.adapters.postgres.profiles import _PROBE, _STALE_IN_STAGE, _update_sql

    with app.connect() as ingest, app.connect() as other:
        ingest.execute("TRUNCATE social.raw_social_profiles CASCADE")
        ingest.commit()
        with ingest.transaction(), ChunkedMerge(ingest, THIS, None, None):
            ingest.execute(
                "INSERT INTO social.raw_social_profiles (platform, handle, scraped_at,"
                " content_hash) SELECT 'x', 'h' || g, now(), md5(g::text)"
                " FROM generate_series(1, 50000) g")
            other.execute("ANALYZE social.raw_social_profiles")
            other.commit()
            stats = other.execute("SELECT reltuples, relpages FROM pg_class"
                                  " WHERE oid = 'social.raw_social_profiles'::regclass"
                                  ).fetchone()
            assert stats is not None and stats["reltuples"] == 0 and stats["relpages"] > 0
            keys = [f"h{i}" for i in range(1, 25001)]
            plans = ["\n".join(r["QUERY PLAN"] for r in ingest.execute("EXPLAIN " + sql, {
                "platforms": "\n".join("x" for _ in keys), "handles": "\n".join(keys),
                "hashes": None, "scraped": None, "sf": THIS}, prepare=False))
                for sql in (_PROBE, _STALE_IN_STAGE)]
            update = "\n".join(r["QUERY PLAN"] for r in ingest.execute(
                "EXPLAIN " + _update_sql(), {"sf": THIS}, prepare=False))
    for plan in plans:
        # the keys (or staged rows) drive; Tier 1 is the inner side, by index, one row each
        assert "Index Scan using raw_social_profiles_handle_platform_c" in plan, plan
        assert plan.index("Index Scan") > plan.index("Scan on", plan.index("Nested Loop")), plan
    # the update: staged rows drive, each finds its row by the index and reaches it by ctid
    assert update.index("Seq Scan on stage_profiles") < update.index("Index Scan") < \
        update.index("Tid Scan on raw_social_profiles t"), update
