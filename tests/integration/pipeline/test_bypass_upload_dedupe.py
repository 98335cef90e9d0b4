"""Uploads that bypass sxp (inbox drops, presigned PUTs) are hashed as they are ingested: the
same content as an earlier import is a duplicate of it, never ingested or stored twice."""

from __future__ import annotations

from pathlib import Path

from sxp.adapters.postgres import queue
from sxp.bootstrap import App, bootstrap
from sxp.config import Settings
from sxp.pipeline.imports import import_paths
from sxp.pipeline.ingest import ingest_file, run_job
from sxp.pipeline.scan import scan

BODY = b'{"platform": "x", "handle": "dropped_one", "bio": "first"}\n' \
       b'{"platform": "x", "handle": "dropped_two", "bio": "second"}\n'


def _ingest_all(app: App) -> None:
    scan(app)
    with app.connect() as conn:
        while (job := queue.claim(conn, "t", kinds=["ingest"])) is not None:
            run_job(app, job)


def _tier1_rows(app: App) -> int:
    with app.connect() as conn:
        row = conn.execute("SELECT count(*) AS n FROM social.raw_social_profiles").fetchone()
    assert row is not None
    return int(row["n"])


def _imports(app: App) -> list[dict[str, object]]:
    with app.connect() as conn:
        return conn.execute("SELECT id, key, sha256, duplicate_of, settled_at IS NOT NULL AS"
                            " settled FROM social.imports ORDER BY id").fetchall()


def _file_states(app: App) -> dict[str, tuple[str, str | None]]:
    with app.connect() as conn:
        rows = conn.execute("SELECT key, state, reason FROM social.source_files").fetchall()
    return {r["key"]: (r["state"], r["reason"]) for r in rows}


def test_a_second_drop_of_the_same_content_is_a_duplicate_and_is_removed(app: App) -> None:
    app.store.put_bytes("inbox/2026-12-01/first.jsonl", BODY)
    _ingest_all(app)
    assert _tier1_rows(app) == 2
    first = _imports(app)
    assert len(first) == 1 and first[0]["settled"] and first[0]["sha256"]
    app.store.put_bytes("inbox/2026-12-02/again.jsonl", BODY)  # same bytes, another name
    _ingest_all(app)
    states = _file_states(app)
    assert states["inbox/2026-12-01/first.jsonl"][0] == "ingested"
    state, reason = states["inbox/2026-12-02/again.jsonl"]
    assert state == "duplicate" and reason == f"the same content as import {first[0]['id']}"
    assert app.store.head("inbox/2026-12-02/again.jsonl") is None  # not stored twice
    assert app.store.head("inbox/2026-12-01/first.jsonl") is not None
    second = _imports(app)[1]
    assert second["duplicate_of"] == first[0]["id"] and second["sha256"] is None
    assert _tier1_rows(app) == 2
    with app.connect() as conn:  # its run wrote nothing: no cards job, no staged rows
        jobs = conn.execute("SELECT payload FROM queue.jobs WHERE kind = 'cards'").fetchall()
    assert len(jobs) == 1
    assert not list(app.store.list("stage/file-00000002/"))


def test_content_imported_through_sxp_makes_a_later_drop_a_duplicate(
        app: App, tmp_path: Path) -> None:
    (tmp_path / "pool.jsonl").write_bytes(BODY)
    receipt = import_paths(app, [tmp_path / "pool.jsonl"])[0]
    _ingest_all(app)
    app.store.put_bytes("inbox/2026-12-03/copy.jsonl", BODY)
    _ingest_all(app)
    assert _file_states(app)["inbox/2026-12-03/copy.jsonl"][0] == "duplicate"
    assert [r["duplicate_of"] for r in _imports(app)] == [None, receipt.id]


def test_a_rerun_after_the_duplicate_was_marked_only_removes_the_copy(app: App) -> None:
    app.store.put_bytes("inbox/2026-12-01/first.jsonl", BODY)
    _ingest_all(app)
    app.store.put_bytes("inbox/2026-12-02/again.jsonl", BODY)
    _ingest_all(app)
    app.store.put_bytes("inbox/2026-12-02/again.jsonl", BODY)  # as if the delete never ran
    with app.connect() as conn:
        row = conn.execute("SELECT id FROM social.source_files WHERE state = 'duplicate'"
                           ).fetchone()
    assert row is not None
    outcome = ingest_file(app, row["id"])
    assert outcome.state == "duplicate"
    assert app.store.head("inbox/2026-12-02/again.jsonl") is None
    assert len(_imports(app)) == 2 and _tier1_rows(app) == 2


def test_different_content_at_new_keys_is_ingested_and_settled(app: App) -> None:
    app.store.put_bytes("inbox/2026-12-01/a.jsonl", BODY)
    app.store.put_bytes("inbox/2026-12-01/b.jsonl", BODY.replace(b"first", b"changed"))
    _ingest_all(app)
    rows = _imports(app)
    assert len(rows) == 2 and all(r["settled"] and r["sha256"] for r in rows)
    assert rows[0]["sha256"] != rows[1]["sha256"]
    assert {s for s, _ in _file_states(app).values()} == {"ingested"}


def test_every_sample_format_on_the_local_store_is_settled_then_deduplicated(
        settings: Settings, tmp_path: Path) -> None:
    from sxp.entrypoints.demo import sample_files

    # the local folder store closes a file when its parser is done (CSV, JSON, gzip)
    local = bootstrap(settings.model_copy(update={"spaces_endpoint": None,
                                                  "home": tmp_path / "local"}))
    try:
        for path in sample_files():
            local.store.put_file(f"inbox/one/{path.name}", path)
        _ingest_all(local)
        assert {s for s, _ in _file_states(local).values()} == {"ingested"}
        assert all(r["settled"] and r["sha256"] for r in _imports(local))
        for path in sample_files():
            local.store.put_file(f"inbox/two/{path.name}", path)
        _ingest_all(local)
        states = _file_states(local)
        assert {states[f"inbox/two/{p.name}"][0] for p in sample_files()} == {"duplicate"}
    finally:
        local.close()
