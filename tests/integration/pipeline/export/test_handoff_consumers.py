"""Per-consumer batches: each consumer gets the cards its filter admits, each card version at
most once; a card that stops matching is withdrawn from the consumers that hold it; the chain
of a consumer's batches verifies; paused and removed consumers get nothing."""

from __future__ import annotations

import gzip
from collections.abc import Callable

import orjson

from sxp.bootstrap import App
from sxp.domain.handoff import CardVersion, HandoffInfo
from sxp.pipeline import consumers as use
from sxp.pipeline import export as export_step
from sxp.pipeline.verify import verify_bundle

Seed = Callable[..., list[int]]


def _by_consumer(app: App) -> dict[str, export_step.ExportResult]:
    return {r.consumer: r for r in export_step.export(app)}


def _versions(app: App, result: export_step.ExportResult) -> list[CardVersion]:
    folder = result.manifest_key.removesuffix("manifest.json")
    return [CardVersion.model_validate_json(line)
            for line in app.store.get_bytes(folder + "versions.jsonl").splitlines()]


def _records(app: App, result: export_step.ExportResult) -> list[dict]:  # type: ignore[type-arg]
    folder = result.manifest_key.removesuffix("manifest.json")
    return [orjson.loads(line) for line in
            gzip.decompress(app.store.get_bytes(folder + "lead_cards.jsonl.gz")).splitlines()]


def test_filters_versions_and_withdrawals_per_consumer(app: App, seed: Seed) -> None:
    use.add_consumer(app, name="pros", transport="api", settings={},
                     execution_labels=["enrich_now"], include_contact=False)
    ids = seed(2) + seed(1, 2, with_contact=True)
    (export_only,) = seed(1, 3, execution_label="export_only")
    (held,) = seed(1, 4, execution_label="hold")
    first = _by_consumer(app)
    assert sorted(first) == ["default", "pros"]
    assert [r["card_id"] for r in _records(app, first["default"])] == ids + [export_only]
    pros_records = _records(app, first["pros"])
    assert [r["card_id"] for r in pros_records] == ids
    assert all(r["contact"] is None and r["business"] is None for r in pros_records)
    assert _records(app, first["default"])[2]["contact"] is not None
    assert held not in [r["card_id"] for r in _records(app, first["default"])]
    assert export_step.export(app) == []

    with app.connect() as conn:  # the card moves to a label `pros` does not take (version 2)
        conn.execute("UPDATE execution.lead_cards SET execution_label = 'export_only'"
                     " WHERE id = %s", (ids[0],))
        conn.execute("UPDATE execution.lead_cards SET labeled_at = now() WHERE id = %s",
                     (ids[1],))  # relabeled to the same labels: nothing a consumer sees
        conn.commit()
    second = _by_consumer(app)
    assert [(v.card_id, v.version, v.supersedes_version, v.action)
            for v in _versions(app, second["default"])] == [(ids[0], 2, 1, "record")]
    assert [(v.card_id, v.version, v.supersedes_version, v.action, v.reason)
            for v in _versions(app, second["pros"])] == [
        (ids[0], 2, 1, "withdrawal", "filter")]
    assert (second["pros"].record_count, second["pros"].withdrawal_count) == (0, 1)
    for name in ("default", "pros"):
        report = verify_bundle(app, second[name].manifest_url, first[name].manifest_url)
        assert report.batch_id == second[name].batch_id
    folder = second["pros"].manifest_key.removesuffix("manifest.json")
    info = HandoffInfo.model_validate_json(app.store.get_bytes(folder + "handoff.json"))
    assert (info.sequence, info.previous_batch_id, info.include_contact) == (
        2, first["pros"].batch_id, False)
    assert export_step.export(app) == []

    with app.connect() as conn:  # back to enrich_now: `pros` takes it again, as version 3
        conn.execute("UPDATE execution.lead_cards SET execution_label = 'enrich_now'"
                     " WHERE id = %s", (ids[0],))
        conn.commit()
    third = _by_consumer(app)
    assert [(v.version, v.supersedes_version, v.action)
            for v in _versions(app, third["pros"])] == [(3, None, "record")]


def test_the_chain_check_finds_a_wrong_previous_batch(app: App, seed: Seed) -> None:
    import pytest

    from sxp.errors import BundleInvalid

    seed(1)
    (one,) = export_step.export(app)
    seed(1, 1)
    (two,) = export_step.export(app)
    seed(1, 2)
    (three,) = export_step.export(app)
    verify_bundle(app, three.manifest_url, two.manifest_url)
    with pytest.raises(BundleInvalid, match="chain: previous batch is"):
        verify_bundle(app, three.manifest_url, one.manifest_url)


def test_paused_and_removed_consumers_get_no_batches(app: App, seed: Seed) -> None:
    use.add_consumer(app, name="later", transport="api", settings={})
    use.add_consumer(app, name="gone", transport="api", settings={})
    use.pause(app, "later")
    use.remove(app, "gone")
    seed(2)
    assert [r.consumer for r in export_step.export(app)] == ["default"]
    use.resume(app, "later")
    (late,) = export_step.export(app)
    assert (late.consumer, late.record_count) == ("later", 2)
    assert [c.name for c in use.list_consumers(app)] == ["default", "later"]


def test_a_new_ruleset_that_labels_a_card_the_same_makes_no_new_version(
        app: App, seed: Seed) -> None:
    seed(3)
    (first,) = export_step.export(app)
    with app.connect() as conn:  # relabeled under a new ruleset: the same labels come out
        conn.execute("UPDATE execution.lead_cards SET ruleset_version = 'test-v2',"
                     " labeled_at = now()")
        conn.commit()
    assert export_step.export(app) == []
    with app.connect() as conn:
        versions = {r["version"] for r in conn.execute("SELECT version FROM"
                                                       " execution.lead_cards")}
    assert versions == {1} and first.record_count == 3


def test_numbers_drawn_by_rolled_back_writers_leave_no_gap_behind(app: App, seed: Seed) -> None:
    seed(1)
    with app.connect() as conn:  # writers that drew handoff numbers and rolled back
        for _ in range(3):
            conn.execute("SELECT nextval('execution.card_handoff_seq')")
        conn.commit()
    (first,) = export_step.export(app)
    assert first.record_count == 1
    assert export_step.export(app) == []  # the empty span after it is passed, not looped on
    seed(1, 1)
    (second,) = export_step.export(app)
    assert second.record_count == 1 and second.sequence == 2
