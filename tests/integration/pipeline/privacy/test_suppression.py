"""Opt-outs on the suppression list (keyed hashes only): a suppressed handle is not ingested
(counted, no reject, not staged) on the native and the Python path alike, a suppressed e-mail
or phone is never exported, and the list holds no identifier."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import orjson
import pytest
from psycopg.types.json import Jsonb

from sxp.bootstrap import App, bootstrap
from sxp.pipeline import export as export_step
from sxp.pipeline.run import run_pipeline
from sxp.pipeline.suppress import import_file

ROW = {"platform": "x", "display_name": "Opt Out", "followers": 90, "bio": "Baker in Austin",
       "location": "Austin, TX", "scraped_at": "2026-11-01T10:00:00Z"}


@pytest.mark.parametrize("native", [True, False])
def test_a_suppressed_handle_is_not_ingested_and_its_contact_points_never_exported(
        settings: Any, tmp_path: Path, native: bool) -> None:
    app = bootstrap(settings.model_copy(update={"ingest_native": native}))
    try:
        _run(app, tmp_path)
    finally:
        app.close()


def _run(app: App, tmp_path: Path) -> None:
    optouts = tmp_path / "optouts.txt"
    optouts.write_text("# opt-outs of 2026-11\nhandle:x:@Gone_Baker\nemail:Keep.Out@Example.com\n"
                       "+1 (415) 555-0199\nnot anything\n\n")
    result = import_file(app, optouts)
    assert (result.read, result.added, result.refused_lines) == (4, 3, [5])
    assert import_file(app, optouts).already == 3  # importing again adds nothing

    rows = [{**ROW, "handle": "gone_baker"}, {**ROW, "handle": "staying_baker"}]
    app.store.put_bytes("inbox/a.jsonl", b"".join(orjson.dumps(r) + b"\n" for r in rows))
    run_pipeline(app, max_idle_wait_s=5)
    with app.connect() as conn:
        handles = [r["handle"] for r in conn.execute(
            "SELECT handle FROM social.raw_social_profiles ORDER BY handle")]
        counts = conn.execute("SELECT rows_loaded, rows_suppressed, rows_rejected, rows_deduped"
                              " FROM social.source_files").fetchone()
        listed = conn.execute("SELECT string_agg(hmac || kind || source, ',') AS t"
                              " FROM social.suppressions").fetchone()["t"]
        card = conn.execute("SELECT id FROM execution.lead_cards").fetchone()["id"]
        conn.execute(
            "INSERT INTO contact.contacts (card_id, provider, fetched_at, first_name, emails,"
            " phones) VALUES (%s, 'apollo', now(), 'Staying', %s, %s)",
            (card, Jsonb(["keep.out@example.com", "fine@example.com"]),
             Jsonb([{"number": "+14155550199"}, {"number": "+14155550100"}])))
        conn.execute("UPDATE execution.lead_cards SET enrich_state = 'enriched',"
                     " enriched_at = now(), execution_label = 'enrich_now' WHERE id = %s",
                     (card,))
        conn.commit()
    assert handles == ["staying_baker"]
    assert dict(counts) == {"rows_loaded": 1, "rows_suppressed": 1, "rows_rejected": 0,
                            "rows_deduped": 0}
    # the phone's digits, long enough that a keyed hash in hex cannot hold them by chance
    for secret in ("gone_baker", "keep.out", "4155550199"):
        assert secret not in listed
    for obj in app.store.list("stage/"):
        body = app.store.get_bytes(obj.key)
        assert b"gone_baker" not in (gzip.decompress(body) if obj.key.endswith(".gz") else body)

    exported = [r for r in export_step.export(app) if r.consumer == "default"]
    folder = exported[-1].manifest_key.removesuffix("manifest.json")
    (record,) = [orjson.loads(line) for line in gzip.decompress(
        app.store.get_bytes(folder + "lead_cards.jsonl.gz")).splitlines()]
    assert record["contact"]["emails"] == ["fine@example.com"]
    assert [p["number"] for p in record["contact"]["phones"]] == ["+14155550100"]
