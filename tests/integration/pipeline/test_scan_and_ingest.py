"""Scan and ingest on real Postgres and moto S3: formats, dedupe, re-delivery, failures."""

from __future__ import annotations

import gzip
import random
from typing import Any

import orjson
import pytest

from sxp.adapters.postgres import queue
from sxp.bootstrap import App
from sxp.domain.profiles import Profile
from sxp.pipeline.ingest import ingest_file, run_job
from sxp.pipeline.scan import scan

from .concurrency import run_at_once


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in rows)


def _drain_ingest(app: App) -> list[int]:
    done = []
    with app.connect() as conn:
        while (job := queue.claim(conn, "test", kinds=["ingest"])) is not None:
            run_job(app, job)
            done.append(int(job.payload["source_file_id"]))
    return done


def _files(app: App) -> list[dict[str, Any]]:
    with app.connect() as conn:
        return conn.execute("SELECT * FROM social.source_files ORDER BY id").fetchall()


def _profiles(app: App) -> dict[tuple[str, str], dict[str, Any]]:
    with app.connect() as conn:
        rows = conn.execute("SELECT * FROM social.raw_social_profiles").fetchall()
    return {(r["platform"], r["handle"]): r for r in rows}


def _normalized(app: App, source: dict[str, Any]) -> list[bytes]:
    """The staged normalized lines of an ingested file, from its parts in order."""
    prefix = source["normalized_prefix"]
    keys = [info.key for info in app.store.list(prefix)]
    assert keys == [f"{prefix}part-{i:05d}.jsonl" for i in range(source["normalized_parts"])]
    return b"".join(app.store.get_bytes(key) for key in keys).splitlines()


def _staged(app: App, source: dict[str, Any]) -> list[str]:
    return [info.key for info in app.store.list(f"stage/file-{source['id']:08d}/")]


X_ROW = {"id": "101", "username": "Sam_Rivera", "name": "Sam Rivera",
         "description": "Coffee roaster. sam.rivera@example.com +1 (212) 555-0142",
         "location": "Austin, TX", "verified": False, "created_at": "2015-03-01T10:00:00Z",
         "public_metrics": {"followers_count": 1200, "following_count": 300,
                            "tweet_count": 4500, "listed_count": 7}}


# two handles in five spellings, three scrapes: sam_rivera's newest is "v3", first seen in January
SAME_HANDLES = [
    {**X_ROW, "name": "v1", "scraped_at": "2024-01-01T00:00:00Z"},
    {**X_ROW, "username": "other_one", "scraped_at": "2024-01-01T00:00:00Z"},
    {**X_ROW, "username": "SAM_RIVERA", "name": "v3", "scraped_at": "2024-03-01T00:00:00Z"},
    {**X_ROW, "username": "@sam_rivera", "name": "v2", "scraped_at": "2024-02-01T00:00:00Z"},
    {**X_ROW, "username": "https://x.com/Other_One", "scraped_at": "2024-01-01T00:00:00Z"},
]


def test_scan_registers_once_and_changed_etag_is_new_file(app: App) -> None:
    app.store.put_bytes("inbox/a.jsonl", _jsonl([X_ROW]))
    first = scan(app)
    assert (first.listed, first.registered) == (1, 1)
    second = scan(app)
    assert (second.registered, second.already_known) == (0, 1)
    with app.connect() as conn:
        assert queue.pending_count(conn, ["ingest"]) == 1
    app.store.put_bytes("inbox/a.jsonl", _jsonl([X_ROW, {**X_ROW, "username": "other"}]))
    third = scan(app)
    assert third.registered == 1
    assert len({f["etag"] for f in _files(app)}) == 2
    with app.connect() as conn:
        assert queue.pending_count(conn, ["ingest"]) == 2


def test_ingest_jsonl_scrubs_pii_stages_and_enqueues_cards(app: App) -> None:
    bad = b'{"username": "broken"\n'
    app.store.put_bytes("inbox/x.jsonl", _jsonl([X_ROW, {**X_ROW, "username": "@SAM_RIVERA"}])
                        + bad + _jsonl([{**X_ROW, "username": "has space"}]))
    scan(app)
    assert _drain_ingest(app)
    [source] = _files(app)
    assert source["state"] == "ingested"
    assert (source["rows_read"], source["rows_rejected"], source["rows_loaded"],
            source["rows_deduped"]) == (4, 2, 1, 1)
    profile = _profiles(app)[("x", "sam_rivera")]
    assert "example.com" not in profile["bio"] and "555" not in profile["bio"]
    assert profile["bio_has_contact"] is True
    assert profile["followers"] == 1200 and profile["extra"] == {"listed_count": 7}
    normalized = _normalized(app, source)
    assert len(normalized) == 2 and source["normalized_parts"] == 1
    Profile.model_validate_json(normalized[0])
    rejects = [orjson.loads(x) for x in app.store.get_bytes(source["rejects_key"]).splitlines()]
    assert [(r["line"], r["reason_code"]) for r in rejects] == [
        (3, "unparsable_row"), (4, "invalid_handle")]
    assert rejects[0]["file"] == "inbox/x.jsonl" and "broken" in rejects[0]["raw"]
    with app.connect() as conn:
        jobs = conn.execute("SELECT kind, payload, state FROM queue.jobs ORDER BY id").fetchall()
    assert [(j["kind"], j["state"]) for j in jobs] == [("ingest", "done"), ("cards", "todo")]
    # re-running on an ingested file is a no-op
    assert ingest_file(app, source["id"]).state == "ingested"
    assert _files(app)[0]["rows_loaded"] == 1


def test_redelivery_writes_nothing_and_newer_scrape_wins(app: App) -> None:
    old = {**X_ROW, "scraped_at": "2024-01-01T00:00:00Z"}
    app.store.put_bytes("inbox/one/x.jsonl", _jsonl([old]))
    scan(app)
    _drain_ingest(app)
    before = _profiles(app)[("x", "sam_rivera")]
    # the same row in other bytes (keys reordered): byte-identical copies are duplicates of
    # the first import and never reach the merge (test_bypass_upload_dedupe)
    app.store.put_bytes("inbox/two/x.jsonl", _jsonl([dict(reversed(list(old.items())))]))
    scan(app)
    _drain_ingest(app)
    files = _files(app)
    assert (files[1]["rows_loaded"], files[1]["rows_unchanged"]) == (0, 1)
    after = _profiles(app)[("x", "sam_rivera")]
    assert after["updated_at"] == before["updated_at"] and after["source_file_id"] == files[0]["id"]
    newer = {**old, "name": "Sam R.", "scraped_at": "2024-06-01T00:00:00Z"}
    older = {**old, "name": "Sam Old", "scraped_at": "2023-06-01T00:00:00Z"}
    app.store.put_bytes("inbox/three/x.jsonl", _jsonl([newer]))
    app.store.put_bytes("inbox/four/x.jsonl", _jsonl([older]))
    scan(app)
    _drain_ingest(app)
    final = _profiles(app)[("x", "sam_rivera")]
    assert final["display_name"] == "Sam R."
    assert final["first_seen"].year == 2023 and final["last_seen"].month == 6


def test_one_scrape_time_in_two_shapes_is_decided_the_same_way_in_any_file_order(
        app: App) -> None:
    # the same person, the same scrape time, two contents: the larger content hash wins,
    # inside a file (either line order) and across files, so no re-delivery writes anything
    at = "2024-05-01T00:00:00Z"
    shapes = [{**X_ROW, "name": "Sam Rivera", "scraped_at": at},
              {**X_ROW, "name": "Sam R.", "scraped_at": at}]
    app.store.put_bytes("inbox/a/x.jsonl", _jsonl(shapes))
    scan(app)
    _drain_ingest(app)
    winner = _profiles(app)[("x", "sam_rivera")]
    loser = next(r for r in shapes if r["name"] != winner["display_name"])
    for n, rows in enumerate([shapes[::-1], shapes[:1], shapes[1:], shapes, shapes[::-1]]):
        padded = [{**r, "lang": "x" * n} for r in rows]  # other bytes: not a duplicate file
        app.store.put_bytes(f"inbox/again-{n}/x.jsonl", _jsonl(padded))
        scan(app)
        _drain_ingest(app)
        assert _files(app)[-1]["state"] == "ingested"
        assert _files(app)[-1]["rows_loaded"] == 0, rows
        # the losing shape alone is stale; a file holding the winner is not (it was merged)
        assert _files(app)[-1]["rows_stale"] == (1 if rows == [loser] else 0), rows
    final = _profiles(app)[("x", "sam_rivera")]
    assert (final["content_hash"], final["updated_at"]) == (winner["content_hash"],
                                                            winner["updated_at"])


def test_a_row_without_scrape_time_never_outranks_one_with_a_real_one(app: App) -> None:
    # no scrape time: stamped with the receipt, but ranked below any real scrape time
    undated = {k: v for k, v in X_ROW.items() if k != "scraped_at"}
    app.store.put_bytes("inbox/a/x.jsonl", _jsonl([{**undated, "name": "No Date"}]))
    scan(app)
    _drain_ingest(app)
    first = _profiles(app)[("x", "sam_rivera")]
    assert first["display_name"] == "No Date" and first["scraped_at_known"] is False
    older = {**X_ROW, "name": "Dated", "scraped_at": "2023-01-01T00:00:00Z"}
    app.store.put_bytes("inbox/b/x.jsonl", _jsonl([older]))
    scan(app)
    _drain_ingest(app)
    assert _files(app)[-1]["rows_loaded"] == 1  # an older but real scrape wins
    dated = _profiles(app)[("x", "sam_rivera")]
    assert (dated["display_name"], dated["scraped_at_known"]) == ("Dated", True)
    assert dated["scraped_at"].year == 2023
    app.store.put_bytes("inbox/c/x.jsonl", _jsonl([{**undated, "name": "Later, no date"}]))
    scan(app)
    _drain_ingest(app)
    # an undated row never replaces it, and the file says why nothing was loaded
    assert (_files(app)[-1]["rows_loaded"], _files(app)[-1]["rows_stale"]) == (0, 1)
    after = _profiles(app)[("x", "sam_rivera")]
    assert after["display_name"] == "Dated"
    # nor does its receipt time move when the profile was seen
    assert (after["first_seen"], after["last_seen"]) == (dated["first_seen"], dated["last_seen"])


def test_unreadable_file_fails_with_reason_and_leaves_nothing(app: App) -> None:
    app.store.put_bytes("inbox/bad.jsonl.gz", b'{"username": "not gzipped"}\n')
    app.store.put_bytes("inbox/empty.csv", b"")
    app.store.put_bytes("inbox/trunc.jsonl.gz", gzip.compress(_jsonl([X_ROW] * 50))[:-30])
    scan(app)
    _drain_ingest(app)
    reasons = {f["key"]: (f["state"], f["reason_code"]) for f in _files(app)}
    assert reasons == {"inbox/bad.jsonl.gz": ("failed", "not_gzip"),
                       "inbox/empty.csv": ("failed", "empty_file"),
                       "inbox/trunc.jsonl.gz": ("failed", "corrupt_gzip")}
    assert _profiles(app) == {}
    assert not list(app.store.list("stage/"))
    with app.connect() as conn:
        assert queue.pending_count(conn) == 0


def test_demo_sample_every_format_lands(app: App) -> None:
    from sxp.entrypoints.demo import sample_files

    for path in sample_files():
        app.store.put_file(f"inbox/demo/{path.name}", path)
    scan(app)
    _drain_ingest(app)
    files = {f["key"].rsplit("/", 1)[-1]: f for f in _files(app)}
    assert {f["state"] for f in files.values()} == {"ingested"}
    assert {f["format_hint"] for f in files.values()} == {"jsonl", "json", "csv"}
    for name, f in files.items():
        assert f["rows_loaded"] > 300, name
        assert f["rows_rejected"] > 0, name
    assert sum(f["rows_deduped"] for f in files.values()) > 50
    profiles = _profiles(app)
    assert {p for p, _h in profiles} == {"x", "tiktok", "threads"}
    assert sum(p["bio_has_contact"] for p in profiles.values()) > 50
    for profile in profiles.values():
        for text in (profile["bio"] or "", profile["display_name"] or ""):
            assert "@example.com" not in text and "555 01" not in text
    threads = [p for p in profiles.values() if p["platform"] == "threads"]
    assert any(p["bio"] and "\n" in p["bio"] for p in threads)
    assert any(p["bio"] and p["bio"].startswith("=HYPERLINK(") for p in threads)


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_dedupe_across_chunks_keeps_newest_and_counts_once(app: App, monkeypatch: Any,
                                                          fmt: str) -> None:
    import sxp.pipeline.ingest as ingest_module
    import sxp.pipeline.ingest_parallel as parallel_module

    monkeypatch.setattr(ingest_module, "CHUNK_ROWS", 2)  # JSON: two rows a chunk
    monkeypatch.setattr(parallel_module, "BLOCK_BYTES", 1)  # JSONL: a block (chunk) a row
    data = _jsonl(SAME_HANDLES) if fmt == "jsonl" else orjson.dumps(SAME_HANDLES)
    app.store.put_bytes(f"inbox/chunks.{fmt}", data)
    scan(app)
    _drain_ingest(app)
    [source] = _files(app)
    assert (source["rows_read"], source["rows_loaded"], source["rows_deduped"],
            source["rows_unchanged"]) == (5, 2, 3, 0)
    profiles = _profiles(app)
    assert profiles[("x", "sam_rivera")]["display_name"] == "v3"
    assert profiles[("x", "sam_rivera")]["first_seen"].month == 1
    assert profiles[("x", "sam_rivera")]["last_seen"].month == 3


def test_chunk_mixing_new_and_known_keys_counts_each_key_once(app: App, monkeypatch: Any
                                                             ) -> None:
    """New keys are COPYed straight into Tier 1, known ones merged: counts and rows as one."""
    import sxp.pipeline.ingest_parallel as parallel_module

    def row(handle: str, name: str, day: int, bio: str = "Coffee roaster.") -> dict[str, Any]:
        return {**X_ROW, "username": handle, "name": name, "description": bio,
                "scraped_at": f"2024-03-{day:02d}T00:00:00Z"}

    app.store.put_bytes("inbox/one.jsonl", _jsonl([row("a_one", "A", 10), row("b_one", "B", 10)]))
    scan(app)
    _drain_ingest(app)
    monkeypatch.setattr(parallel_module, "BLOCK_BYTES", 700)  # three rows a block
    app.store.put_bytes("inbox/two.jsonl", _jsonl([
        row("a_one", "A", 10), row("c_one", "C", 12, "two\nlines"),  # unchanged A, new C
        row("A_ONE", "A", 10), row("b_one", "B2", 12),                # A again, B rewritten
        row("c_one", "C", 11, "two\nlines"), row("d_one", "D", 12)]))  # older C, new D
    scan(app)
    _drain_ingest(app)
    second = _files(app)[1]
    assert (second["rows_read"], second["rows_loaded"], second["rows_unchanged"],
            second["rows_deduped"]) == (6, 3, 1, 2)
    profiles = _profiles(app)
    assert len(profiles) == 4
    assert {h: p["source_file_id"] == second["id"] for (_x, h), p in profiles.items()} == {
        "a_one": False, "b_one": True, "c_one": True, "d_one": True}
    assert profiles[("x", "b_one")]["display_name"] == "B2"
    c_one = profiles[("x", "c_one")]
    assert (c_one["bio"], c_one["first_seen"].day, c_one["last_seen"].day) == ("two\nlines", 11, 12)


def test_parser_processes_land_the_same_and_fail_whole_files(app: App, monkeypatch: Any) -> None:
    import sxp.pipeline.ingest as ingest_module
    import sxp.pipeline.ingest_parallel as parallel_module

    monkeypatch.setattr(ingest_module, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(ingest_module, "worker_count", lambda: 2)
    monkeypatch.setattr(parallel_module, "BLOCK_BYTES", 300)  # several blocks per file
    app.store.put_bytes("inbox/par.jsonl", _jsonl(SAME_HANDLES) + b"not json\n")
    app.store.put_bytes("inbox/trunc.jsonl.gz", gzip.compress(_jsonl([X_ROW] * 500))[:-30])
    scan(app)
    files = {f["key"]: f for f in _files(app)}
    # a part left by an attempt that was killed goes; parts are published as blocks finish
    stale = f"stage/file-{files['inbox/par.jsonl']['id']:08d}/normalized/part-00099.jsonl"
    app.store.put_bytes(stale, b"{}\n")
    published: list[str] = []
    move_file = app.store.move_file
    monkeypatch.setattr(app.store, "move_file",
                        lambda key, *args: (published.append(key), move_file(key, *args)))
    _drain_ingest(app)
    files = {f["key"]: f for f in _files(app)}
    good, bad = files["inbox/par.jsonl"], files["inbox/trunc.jsonl.gz"]
    assert (good["rows_read"], good["rows_loaded"], good["rows_deduped"],
            good["rows_rejected"]) == (6, 2, 3, 1)
    assert app.store.head(stale) is None
    assert {f"{good['normalized_prefix']}part-0000{i}.jsonl" for i in (0, 1)} <= set(published)
    assert (bad["state"], bad["reason_code"]) == ("failed", "corrupt_gzip")
    profiles = _profiles(app)
    assert set(profiles) == {("x", "sam_rivera"), ("x", "other_one")}
    assert profiles[("x", "sam_rivera")]["display_name"] == "v3"
    assert profiles[("x", "sam_rivera")]["bio"] == "Coffee roaster."
    normalized = _normalized(app, good)
    assert len(normalized) == 5 and good["normalized_parts"] > 1  # a part per block
    assert _staged(app, bad) == []  # the parts published before the gzip broke are gone


def test_a_file_that_breaks_after_parts_were_published_leaves_nothing_staged(
        app: App, monkeypatch: Any) -> None:
    import sxp.pipeline.ingest as ingest_module
    import sxp.pipeline.ingest_parallel as parallel_module

    monkeypatch.setattr(ingest_module, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(ingest_module, "worker_count", lambda: 2)
    monkeypatch.setattr(parallel_module, "BLOCK_BYTES", 64 << 10)
    noise = random.Random(3)  # rows that do not compress away: the stream breaks after 2 MB
    rows = [{**X_ROW, "username": f"u{i}", "description": noise.randbytes(60).hex()}
            for i in range(8000)]
    app.store.put_bytes("inbox/trunc.jsonl.gz", gzip.compress(_jsonl(rows))[:-30])
    scan(app)
    published: list[str] = []
    move_file = app.store.move_file
    monkeypatch.setattr(app.store, "move_file",
                        lambda key, *args: (published.append(key), move_file(key, *args)))
    _drain_ingest(app)
    [bad] = _files(app)
    assert (bad["state"], bad["reason_code"]) == ("failed", "corrupt_gzip")
    assert len(published) > 10 and _staged(app, bad) == [] and _profiles(app) == {}


def test_two_ingests_at_once_share_keys_without_conflict(app: App) -> None:
    """Two workers ingesting files with the same new handles: one waits for the other's write
    lock, so the second sees the first's rows as known instead of failing on the unique key."""
    shared = [{**X_ROW, "username": f"shared_{i}", "scraped_at": "2024-01-01T00:00:00Z"}
              for i in range(300)]
    own = [[{**X_ROW, "username": f"only_{side}_{i}"} for i in range(50)] for side in "ab"]
    app.store.put_bytes("inbox/a.jsonl", _jsonl(shared + own[0]))
    app.store.put_bytes("inbox/b.jsonl", _jsonl(own[1] + shared[::-1]))
    scan(app)
    ids = [f["id"] for f in _files(app)]
    _results, errors = run_at_once(lambda source_file_id: ingest_file(app, source_file_id), ids)
    assert errors == []
    files = _files(app)
    assert [f["state"] for f in files] == ["ingested", "ingested"]
    assert len(_profiles(app)) == 400
    assert sum(f["rows_loaded"] for f in files) == 400  # the shared rows: loaded once
    assert sorted(f["rows_unchanged"] for f in files) == [0, 300]
