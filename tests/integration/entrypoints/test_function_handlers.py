"""DigitalOcean function handlers called the way the runtime calls them, on Postgres + S3."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Callable

from sxp.adapters.postgres import queue
from sxp.bootstrap import App
from sxp.entrypoints import functions


def test_import_web_function_takes_text_and_binary_bodies(
        app: App, token: Callable[..., str]) -> None:
    auth = {"authorization": f"Bearer {token('imports:write')}"}
    refused = functions.import_({"__ow_method": "post", "__ow_body": "x",
                                 "__ow_headers": {"content-type": "text/csv"}}, app)
    assert refused["statusCode"] == 401 and json.loads(refused["body"])["code"] == "unauthorized"
    rows = '{"username": "synthetic_fn"}\n'
    text = functions.import_(
        {
            "__ow_method": "post",
            "__ow_path": "",
            "__ow_query": "platform=x&filename=fn-drop.jsonl",
            "__ow_headers": {"content-type": "application/x-ndjson", **auth},
            "__ow_body": rows,
        },
        app,
    )
    assert text["statusCode"] == 202, text
    key = json.loads(text["body"])["key"]
    assert key.startswith("inbox/platform=x/") and app.store.get_bytes(key) == rows.encode()

    packed = gzip.compress(b"username\nsynthetic_gz\n")
    binary = functions.import_(
        {
            "__ow_method": "post",
            "__ow_query": "format=csv",
            "__ow_headers": {"content-type": "application/gzip", **auth},
            "__ow_body": base64.b64encode(packed).decode(),
        },
        app,
    )
    assert binary["statusCode"] == 202
    assert app.store.get_bytes(json.loads(binary["body"])["key"]) == packed

    bad = functions.import_(
        {
            "__ow_method": "post",
            "__ow_query": "platform=myspace",
            "__ow_headers": {"content-type": "text/csv", **auth},
            "__ow_body": "a",
        },
        app,
    )
    assert bad["statusCode"] == 400 and json.loads(bad["body"])["code"] == "bad_request"

    scanned = functions.scan({}, app)["body"]
    assert scanned["registered"] == 2


def test_status_export_and_drain_functions(app: App, seed_ready_card: Callable[[], None],
                                           token: Callable[..., str]) -> None:
    auth = {"authorization": f"Bearer {token('imports:read')}"}
    status = functions.status({"__ow_method": "get", "__ow_headers": auth}, app)
    assert status["statusCode"] == 200
    assert json.loads(status["body"])["tiers"]["tier3_lead_cards"] == 0

    seed_ready_card()
    exported = functions.export({}, app)["body"]
    (batch,) = exported["batches"]
    assert exported["exported"] == 1 and batch["consumer"] == "default"
    assert batch["record_count"] == 1 and batch["manifest_key"].endswith("manifest.json")
    assert functions.export({}, app)["body"] == {"exported": 0, "batches": []}

    with app.connect() as conn:
        queue.enqueue(conn, "export", {}, queueing_lock="export")
        conn.commit()
    drained = functions.drain({"seconds": 30}, app)["body"]
    assert drained == {"outcomes": {"done": 2}, "by_kind": {"export": 1, "deliver": 1},
                       "pending": 0}
    assert functions.label({"seconds": 5}, app)["body"]["outcomes"] == {}


def test_upload_web_function_plans_a_direct_upload(app: App, token: Callable[..., str]) -> None:
    headers = {"content-type": "application/json",
               "authorization": f"Bearer {token('imports:write')}"}
    body = json.dumps({"size_bytes": 123, "filename": "f.csv"})
    answer = functions.upload({"__ow_headers": headers, "__ow_body": body}, app)
    assert answer["statusCode"] == 201, answer
    plan = json.loads(answer["body"])
    assert plan["method"] == "PUT" and plan["key"].endswith("-f.csv") and plan["url"]


def test_each_scheduled_scan_starts_a_cycle_that_is_one_pipeline_run(app: App) -> None:
    from sxp.bootstrap import bootstrap

    as_scan = bootstrap(app.settings.model_copy(update={"db_role": "sxp_ingest"}))
    try:  # the scan function runs as sxp_ingest (project.yml)
        functions.scan({}, as_scan)
        functions.scan({}, as_scan)
    finally:
        as_scan.close()
    with app.connect() as conn:
        cycles = conn.execute("SELECT id, origin, finished_at IS NOT NULL AS done"
                              " FROM execution.pipeline_runs ORDER BY id").fetchall()
        current = conn.execute("SELECT id FROM execution.pipeline_runs"
                               " WHERE finished_at IS NULL").fetchall()
    assert [(c["origin"], c["done"]) for c in cycles] == [("scheduled cycle", True),
                                                         ("scheduled cycle", False)]
    assert [c["id"] for c in current] == [cycles[1]["id"]]  # the run every gate pass joins
