"""A large batch's records are read and encoded on worker processes: the same lines, cards left
out and phone checks as in process, chunk for chunk, read under the exporting transaction's
snapshot, suppressed contact points left out; the bundle they make verifies; no worker's
connection outlives the pool."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from sxp.adapters.postgres import consumers, suppressions
from sxp.adapters.postgres import exports as exports_repo
from sxp.bootstrap import App
from sxp.domain.privacy import keyed_hash, normalized_subject
from sxp.pipeline import export as export_step
from sxp.pipeline.export_parallel import (
    MIN_PARALLEL_RECORDS,
    SliceSource,
    record_encoder,
    worker_count,
)

Seed = Callable[..., list[int]]


def _seed_with_a_bad_card(app: App, seed: Seed) -> int:
    seed(20)
    seed(6, 20, with_contact=True)
    (bad,) = seed(1, 30)
    seed(5, 31)
    with app.connect() as conn:
        conn.execute("UPDATE execution.lead_cards SET readiness_score = 1.5 WHERE id = %s", (bad,))
        conn.commit()
    return bad


def _source(app: App, conn: exports_repo.Conn) -> SliceSource:
    return SliceSource(conn, app.database_uri, app.settings.db_role,
                       export_step._suppressed_points(app, conn))


def _claim(app: App, conn: exports_repo.Conn) -> exports_repo.ExportBatch:
    consumer = consumers.active(conn)[0]
    batch = export_step.claim_export_batch(app, conn, consumer,
                                           exports_repo.handoff_watermark(conn), 0)
    assert batch is not None
    return batch


def _suppress(app: App, email: str) -> None:
    with app.connect() as conn:
        suppressions.add(conn, [(keyed_hash(app.privacy_key(), "email",
                                            normalized_subject("email", email)), "email")],
                         source="import")
        conn.commit()


def test_workers_read_and_encode_what_the_process_does_in_order(
        app: App, seed: Seed, canaries: tuple[str, str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    bad = _seed_with_a_bad_card(app, seed)
    email, phone = canaries
    _suppress(app, email)  # the workers filter the contacts they read, as the process does
    monkeypatch.setattr(exports_repo, "FETCH_ROWS", 4)
    encoded = {}
    with app.connect() as conn:
        batch = _claim(app, conn)
        for workers in (0, 2):
            with (exports_repo.reading_batch(conn, batch) as slices,
                  record_encoder(_source(app, conn), workers) as encode):
                encoded[workers] = list(encode(slices))
    here = encoded[0]
    assert encoded[2] == here
    assert len(here) == 8
    assert sum(len(c.records.lines) for c in here) == 31
    assert [card_id for c in here for card_id, _ in c.rejected] == [bad]
    assert sum(len(c.phone_checks) for c in here) == 6  # one phone per seeded contact
    lines = b"".join(line for c in here for line in c.records.lines)
    assert email.encode() not in lines and phone.encode() in lines


def test_workers_see_the_batch_as_the_exporting_transaction_does(
        app: App, seed: Seed, monkeypatch: pytest.MonkeyPatch) -> None:
    seed(12)
    monkeypatch.setattr(exports_repo, "FETCH_ROWS", 3)
    with app.connect() as conn:
        batch = _claim(app, conn)
        with exports_repo.reading_batch(conn, batch) as slices:
            with app.connect() as other:  # committed after the export's snapshot
                other.execute("UPDATE execution.lead_cards SET persona = 'changed_meanwhile'")
                other.commit()
            with record_encoder(_source(app, conn), 2) as encode:
                lines = [line for c in encode(slices) for line in c.records.lines]
    assert len(lines) == 12
    assert not any(b"changed_meanwhile" in line for line in lines)


def test_no_worker_connection_outlives_the_pool(app: App, seed: Seed,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    seed(6)
    monkeypatch.setattr(exports_repo, "FETCH_ROWS", 2)

    def backends(conn: exports_repo.Conn) -> int:
        row = conn.execute("SELECT count(*) AS n FROM pg_stat_activity"
                           " WHERE datname = current_database()").fetchone()
        return int(row["n"]) if row else 0

    with app.connect() as conn:
        batch = _claim(app, conn)
        before = backends(conn)
        conn.commit()
        with (exports_repo.reading_batch(conn, batch) as slices,
              record_encoder(_source(app, conn), 2) as encode):
            assert sum(len(c.records.lines) for c in encode(slices)) == 6
        deadline = time.monotonic() + 10
        while backends(conn) > before and time.monotonic() < deadline:
            conn.commit()
            time.sleep(0.05)
        assert backends(conn) == before


def test_an_export_on_workers_verifies(app: App, seed: Seed,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from sxp.pipeline.verify import verify_bundle

    bad = _seed_with_a_bad_card(app, seed)
    monkeypatch.setattr(exports_repo, "FETCH_ROWS", 5)
    monkeypatch.setattr(export_step, "worker_count", lambda cards: 2)
    (result,) = export_step.export(app)
    assert result.record_count == 31
    assert verify_bundle(app, result.manifest_url).record_count == 31
    with app.connect() as conn:
        row = conn.execute("SELECT export_error FROM execution.lead_cards WHERE id = %s",
                           (bad,)).fetchone()
    assert row is not None and "readiness_score" in row["export_error"]


def test_small_batches_encode_in_process() -> None:
    assert worker_count(MIN_PARALLEL_RECORDS - 1) == 0
    assert worker_count(MIN_PARALLEL_RECORDS) in (0, 2)  # 0 on a one-core machine
