"""Re-delivering files is a no-op: every shipped sample file and a generated file (duplicates,
defects, and rows of one handle and scrape time in two shapes) delivered again with their rows
in another order — other bytes, so the content dedupe does not catch them — writes no row in
any tier and hands nothing over."""

from __future__ import annotations

import orjson

from sxp.bootstrap import App
from sxp.entrypoints.demo import sample_files
from sxp.pipeline.run import run_pipeline
from sxp.sample.generate import generate_profiles

TABLES = ("social.raw_social_profiles", "execution.lead_cards", "contact.contacts",
          "contact.businesses", "execution.export_batches", "execution.batch_cards",
          "audit.audit_log")


def _fingerprint(app: App) -> dict[str, str]:
    with app.connect() as conn:
        return {t: str(conn.execute(
            f"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)),"
            f" '') AS f FROM {t} t").fetchone()["f"]) for t in TABLES}  # type: ignore[index]


def _generated() -> list[bytes]:
    rows = [orjson.dumps(r) for r in generate_profiles(3000, seed=20240601)]
    twins = []
    for raw in rows[:200:7]:  # the same handle and scrape time, another shape of the person
        row = orjson.loads(raw)
        if isinstance(row, dict) and "bio" in row:
            twins.append(orjson.dumps({**row, "bio": f"{row['bio']} (other shape)"}))
    return rows + twins


def test_every_file_delivered_again_in_another_order_writes_nothing(app: App) -> None:
    originals: dict[str, list[bytes]] = {"generated.jsonl": _generated()}
    for path in sample_files():
        if path.suffix == ".jsonl":
            originals[path.name] = path.read_bytes().splitlines()
        else:
            app.store.put_file(f"inbox/first/{path.name}", path)
    for name, lines in originals.items():
        app.store.put_bytes(f"inbox/first/{name}", b"\n".join(lines) + b"\n")
    run_pipeline(app, max_idle_wait_s=5)
    before = _fingerprint(app)
    for name, lines in originals.items():
        app.store.put_bytes(f"inbox/again/{name}", b"\n".join(reversed(lines)) + b"\n")
    run_pipeline(app, max_idle_wait_s=5)
    assert _fingerprint(app) == before
    with app.connect() as conn:
        again = conn.execute("SELECT key, rows_read, rows_loaded, state FROM social.source_files"
                             " WHERE key LIKE 'inbox/again/%%' ORDER BY key").fetchall()
    assert again and all(r["rows_loaded"] == 0 and r["rows_read"] > 0 for r in again)
