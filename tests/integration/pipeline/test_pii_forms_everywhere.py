"""Every contact form a reviewer would try, planted in every field of valid and rejected rows,
reaches no Tier 1 row, no object under stage/ (normalized parts and rejects), no log line and
no audit row."""

from __future__ import annotations

import gzip
import json
import logging
import re

import orjson
import pytest

from sxp.adapters.postgres import queue
from sxp.bootstrap import App
from sxp.pipeline.ingest import run_job
from sxp.pipeline.scan import scan

# the mailbox "zqxcanary@example.com" and the number 555-013-9924, in every spelling
CANARY = re.compile(r"zqxcanary|013\W{0,3}9924|0139924|\uff10\uff11\uff13", re.IGNORECASE)
EMAILS = ["zqxcanary@example.com", "zqxcanary at example dot com",
          "zqxcanary [at] example [dot] com", "zqxcanary(at)example(dot)com",
          "zqxcanary ( at ) example { dot } com", "zqxcanary\uff20example\uff0ecom",
          "zqxcanary @ example.com"]
PHONES = ["555-013-9924", "555\u2013013\u20139924", "(555) 013 9924", "+1 555 013 9924",
          "15550139924", "5550139924",
          "\uff15\uff15\uff15\uff10\uff11\uff13\uff19\uff19\uff12\uff14"]
LINKS = ["mailto:zqxcanary@example.com", "tel:+15550139924", "https://wa.me/15550139924",
         "https://example.com/?c=zqxcanary%40example.com", "wa.me/15550139924"]


def _rows() -> list[bytes]:
    lines = []
    for n, text in enumerate(EMAILS + PHONES):
        link = LINKS[n % len(LINKS)]
        row = {"platform": "x", "handle": f"pii_form_{n}", "display_name": f"Jo {text}",
               "bio": f"Realtor | {text} | Denver", "location": f"Denver {text}",
               # a bare run of digits in a link is taken for an id (image ids look the same)
               "bio_url": link, "avatar_url": "https://cdn.example.com/a.jpg" + (
                   "" if text.isdigit() else f"?o={text}"),
               "platform_user_id": text if "@" in text else None,
               "extra": {"note": f"call {text}", text: "key"},
               "scraped_at": "2026-11-01T00:00:00Z"}
        lines.append(orjson.dumps(row))
        # and rejected: no platform anyone knows, malformed JSON, a handle that is no handle
        lines.append(orjson.dumps({**row, "platform": "myspace"}))
        lines.append(b'{"platform": "x", "handle": "broken", "bio": "' + text.encode() + b'"')
        lines.append(orjson.dumps({**row, "handle": f"not a handle {text}"}))
    return lines


def test_no_form_of_a_contact_survives_in_tier1_stage_logs_or_audit(
        app: App, caplog: pytest.LogCaptureFixture) -> None:
    app.store.put_bytes("inbox/pii/forms.jsonl", b"\n".join(_rows()) + b"\n")
    caplog.set_level(logging.DEBUG)
    scan(app)
    with app.connect() as conn:
        while (job := queue.claim(conn, "t", kinds=["ingest"])) is not None:
            run_job(app, job)
        files = conn.execute("SELECT state, rows_loaded, rows_rejected FROM social.source_files"
                             ).fetchall()
        tier1 = conn.execute("SELECT * FROM social.raw_social_profiles").fetchall()
        audit = conn.execute("SELECT * FROM audit.audit_log").fetchall()
    assert files[0]["state"] == "ingested"
    assert files[0]["rows_loaded"] >= len(EMAILS + PHONES) and files[0]["rows_rejected"] > 0
    assert all(r["bio_has_contact"] for r in tier1)
    staged = []
    for info in app.store.list("stage/"):
        body = app.store.get_bytes(info.key)
        staged.append(gzip.decompress(body) if info.key.endswith(".gz") else body)
    assert any(b"rejects" in info.key.encode() for info in app.store.list("stage/"))
    places = {"Tier 1": json.dumps(tier1, default=str, ensure_ascii=False),
              "stage/": b"\n".join(staged).decode(errors="replace"),
              "logs": caplog.text, "audit": json.dumps(audit, default=str)}
    for place, text in places.items():
        found = CANARY.search(text)
        assert found is None, f"{place} holds {text[max(0, found.start() - 80):found.end() + 40]!r}"
