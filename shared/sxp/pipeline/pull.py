"""Pull profiles by handle from a platform API; they land exactly like dropped files.

Found profiles (raw API objects, in the platform's own shape, stamped with `scraped_at`) are
written as one JSONL object under `inbox/platform=<p>/format=jsonl/pull-<date>/…`; the next scan
registers it and ingest maps, checks and dedupes it like any other file. Every handle's outcome
(found, not_found, suspended, failed) is recorded in `social.pull_outcomes`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson

from sxp.adapters.sources.social_api import SocialApiClient
from sxp.bootstrap import App
from sxp.logs import get_logger
from sxp.pipeline.imports import inbox_key

log = get_logger("sxp.pipeline.pull")


@dataclass
class PullResult:
    platform: str
    inbox_key: str | None = None
    outcomes: dict[str, int] = field(default_factory=dict)


def pull(app: App, client: SocialApiClient, handles: list[str]) -> PullResult:
    platform = client.platform
    outcomes = client.fetch(handles)
    now = datetime.now(UTC)
    found = [o for o in outcomes if o.outcome == "found" and o.row is not None]
    result = PullResult(platform)
    if found:
        stamp = now.isoformat().replace("+00:00", "Z")
        body = b"".join(orjson.dumps({**(o.row or {}), "scraped_at": stamp}) + b"\n"
                        for o in found)
        digest = hashlib.sha256(body).hexdigest()[:16]
        key = inbox_key(app.settings.inbox_prefix, f"pull-{now:%H%M%S}-{digest}.jsonl",
                        platform, "jsonl", now)
        app.store.put_bytes(key, body, "application/x-ndjson")
        result.inbox_key = key
    with app.connect() as conn, conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO social.pull_outcomes (platform, handle, outcome, reason, inbox_key)"
            " VALUES (%s, %s, %s, %s, %s)",
            [(o.platform, o.handle, o.outcome, o.reason,
              result.inbox_key if o.outcome == "found" else None) for o in outcomes])
    for outcome in outcomes:
        result.outcomes[outcome.outcome] = result.outcomes.get(outcome.outcome, 0) + 1
    log.info("pulled profiles", extra={"platform": platform, "outcomes": result.outcomes})
    return result
