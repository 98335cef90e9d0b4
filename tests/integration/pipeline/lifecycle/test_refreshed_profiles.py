"""A refreshed audience pool through the whole pipeline (inbox → run → consumers): a changed
profile's card gets new inputs, labels and a new version, reaches each consumer once as that
version, and is withdrawn from a consumer whose filter it leaves; an unchanged re-delivery
writes nothing and hands nothing over; a new rules version relabels in bulk."""

from __future__ import annotations

from typing import Any

import orjson

from sxp.bootstrap import App
from sxp.domain.handoff import CardVersion
from sxp.pipeline import consumers as use
from sxp.pipeline.run import run_pipeline

BASE = {"platform": "x", "display_name": "Dana Keller", "followers": 2400, "following": 300,
        "posts": 410, "likes": 12000, "is_verified": False,
        "account_created_at": "2019-05-01T00:00:00Z", "bio_url": "https://kellerhomes.example"}


def _drop(app: App, key: str, rows: list[dict[str, Any]]) -> None:
    app.store.put_bytes(f"inbox/{key}", b"".join(orjson.dumps(r) + b"\n" for r in rows))


def _card(app: App, handle: str) -> dict[str, Any]:
    with app.connect() as conn:
        row = conn.execute("SELECT * FROM execution.lead_cards WHERE handle = %s",
                           (handle,)).fetchone()
    assert row is not None
    return dict(row)


def _versions(app: App, consumer: str) -> list[tuple[int, CardVersion]]:
    """Every versions.jsonl line the consumer was handed, with its batch sequence."""
    with app.connect() as conn:
        rows = conn.execute(
            "SELECT b.sequence, b.manifest_key FROM execution.export_batches b"
            " JOIN execution.consumers c ON c.id = b.consumer_id WHERE c.name = %s"
            " AND b.state = 'published' ORDER BY b.sequence", (consumer,)).fetchall()
    out = []
    for row in rows:
        key = row["manifest_key"].removesuffix("manifest.json") + "versions.jsonl"
        out += [(row["sequence"], CardVersion.model_validate_json(line))
                for line in app.store.get_bytes(key).splitlines()]
    return out


def _counts(app: App) -> dict[str, int]:
    with app.connect() as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM social.raw_social_profiles) AS t1,"
            " (SELECT count(*) FROM execution.lead_cards) AS t3,"
            " (SELECT max(updated_at) FROM execution.lead_cards)::text AS cards_touched,"
            " (SELECT count(*) FROM execution.export_batches) AS batches,"
            " (SELECT count(*) FROM contact.provider_calls) AS calls").fetchone()
    assert row is not None
    return dict(row)


def test_a_refreshed_profile_is_recomputed_and_handed_over_once_as_its_new_version(
        app: App) -> None:
    use.add_consumer(app, name="exporters", transport="api", settings={},
                     execution_labels=["export_only"])
    first = {**BASE, "handle": "dana_homes", "bio": "Realtor | homes and condos",
             "location": "", "scraped_at": "2026-11-01T10:00:00Z"}
    twin = {**BASE, "handle": "dana_twin", "bio": "Realtor | homes and condos",
            "location": "Denver, CO", "scraped_at": "2026-11-20T10:00:00Z"}
    _drop(app, "pool-1.jsonl", [first])
    run_pipeline(app, max_idle_wait_s=5)
    before = _card(app, "dana_homes")
    assert before["version"] == 1 and before["enrich_inputs"]["city"] is None

    refreshed = {**first, "location": "Denver, CO", "scraped_at": "2026-11-20T10:00:00Z"}
    _drop(app, "pool-2.jsonl", [refreshed, twin])
    run_pipeline(app, max_idle_wait_s=5)
    after, fresh = _card(app, "dana_homes"), _card(app, "dana_twin")
    assert (after["enrich_inputs"]["city"], after["enrich_inputs"]["state"]) == ("Denver", "CO")
    for field in ("readiness", "persona", "tribe", "audience_pool", "execution_label",
                  "enrich_inputs", "enrich_state"):
        assert after[field] == fresh[field], field  # as if it had been new
    assert after["version"] > before["version"]
    assert (before["audience_pool"], before["execution_label"]) == ("business_non_us",
                                                                    "export_only")
    assert (after["audience_pool"], after["execution_label"]) == ("us_local_pros", "enrich_now")

    default = [(s, v) for s, v in _versions(app, "default") if v.card_id == after["id"]]
    assert [v.version for _, v in default] == [before["version"], after["version"]]
    assert default[1][1].supersedes_version == before["version"]
    assert default[0][0] < default[1][0]  # a later batch
    exporters = [v for _, v in _versions(app, "exporters") if v.card_id == after["id"]]
    assert [(v.action, v.reason) for v in exporters] == [("record", None),
                                                         ("withdrawal", "filter")]

    counts = _counts(app)
    _drop(app, "pool-2-again.jsonl", [refreshed, twin])  # the same rows, delivered again
    _drop(app, "pool-1-late.jsonl", [first])             # and the older scrape, late
    run_pipeline(app, max_idle_wait_s=5)
    assert _counts(app) == counts  # nothing written in any tier, nothing handed over
    assert _card(app, "dana_homes")["version"] == after["version"]
