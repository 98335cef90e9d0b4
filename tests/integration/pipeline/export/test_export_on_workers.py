"""A large batch's records are encoded on worker processes: the same lines, cards left out and
phone checks as encoding in process, chunk for chunk; the bundle they make verifies."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sxp.adapters.postgres import consumers
from sxp.adapters.postgres import exports as exports_repo
from sxp.bootstrap import App
from sxp.pipeline import export as export_step
from sxp.pipeline.export_parallel import MIN_PARALLEL_RECORDS, record_encoder, worker_count

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


def test_workers_encode_what_the_process_encodes_in_order(
        app: App, seed: Seed, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = _seed_with_a_bad_card(app, seed)
    monkeypatch.setattr(exports_repo, "FETCH_ROWS", 4)
    with app.connect() as conn:
        consumer = consumers.active(conn)[0]
        batch = export_step.claim_export_batch(app, conn, consumer,
                                               exports_repo.handoff_watermark(conn), 0)
        assert batch is not None
        chunks = list(exports_repo.iter_batch_rows(conn, batch))
    with record_encoder(0) as encode:
        here = list(encode(chunks))
    with record_encoder(2) as encode:
        there = list(encode(chunks))
    assert there == here
    assert len(here) == 8 and [len(c) for c in chunks] == [4] * 8
    assert sum(len(c.records.lines) for c in here) == 31
    assert [card_id for c in here for card_id, _ in c.rejected] == [bad]
    assert sum(len(c.phone_checks) for c in here) == 6  # one phone per seeded contact


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
