from __future__ import annotations

import io
import json
import logging

from sxp.logs import REDACTED, configure_logging, get_logger, scrub, scrub_text


def test_scrub_text_masks_emails_and_phone_numbers() -> None:
    text = "reach jane.canary@example.com or +1 (555) 010-4477 / 555.010.9999 — 12 posts"
    out = scrub_text(text)
    assert "canary" not in out and "4477" not in out and "9999" not in out
    assert "12 posts" in out


def test_scrub_blanks_pii_keys_at_any_depth() -> None:
    value = {"batch_id": "eb-1", "persons": [{"first_name": "Ann", "phones": ["+15550100"]}]}
    assert scrub(value) == {"batch_id": "eb-1",
                            "persons": [{"first_name": REDACTED, "phones": REDACTED}]}


def test_log_records_are_redacted_before_the_handler_writes() -> None:
    stream = io.StringIO()
    configure_logging("DEBUG", stream=stream)
    log = get_logger("test")
    log.info("called for zed.canary@example.org", extra={"email": "zed.canary@example.org",
                                                         "status_code": 200})
    try:
        raise ValueError("bad phone +1 555 010 3131")
    except ValueError:
        log.exception("failed")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    text = stream.getvalue()
    assert "canary" not in text and "3131" not in text
    assert lines[0]["status_code"] == 200 and lines[0]["email"] == REDACTED
    assert "ValueError" in lines[1]["exception"]
    logging.getLogger("sxp").handlers.clear()
