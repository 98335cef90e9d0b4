"""Pull profiles by handle from a platform API; they land exactly like dropped files.

A `pull {"platform", "handles"}` job fetches the handles, writes the found profiles (raw API
objects in the platform's own shape, stamped with `scraped_at`) as one JSONL object at a key
fixed by the job (`inbox/platform=<p>/format=jsonl/<date>/pull-<job>.jsonl`), records every
handle's outcome (found, not_found, suspended, failed) in `social.pull_outcomes`, registers the
object as a source file and enqueues its ingest — outcomes, registration, ingest job and job
completion commit together. A rerun after a crash finds the object already written and does not
call the API again; ingest then maps, checks and dedupes it like any other file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson

from sxp.adapters.postgres import pull_outcomes, queue
from sxp.adapters.postgres.queue import Job
from sxp.adapters.sources.social_api import PullOutcome, SocialApiClient, build_pull_client
from sxp.bootstrap import App
from sxp.domain.normalize import normalize_handle
from sxp.domain.quality import RowRejected
from sxp.errors import ConfigError, InputError
from sxp.logs import get_logger
from sxp.pipeline.imports import inbox_key
from sxp.pipeline.jobs import PullPayload, payload_of
from sxp.pipeline.scan import register_object

log = get_logger("sxp.pipeline.pull")
PLATFORM_SETTINGS = {"x": ("x_api_base_url", "x_api_bearer_token"),
                     "tiktok": ("tiktok_api_base_url", "tiktok_api_token"),
                     "threads": ("threads_api_base_url", "threads_api_token")}


@dataclass
class PullResult:
    platform: str
    inbox_key: str | None = None
    source_file_id: int | None = None
    outcomes: dict[str, int] = field(default_factory=dict)


def enqueue_pull(app: App, platform: str, handles: list[str]) -> list[int]:
    """Schedule pull jobs of at most `pull_handles_per_job` handles each; returns job ids."""
    if platform not in PLATFORM_SETTINGS:
        raise InputError(f"unknown platform {platform!r} (x, tiktok or threads)",
                         "unknown_platform")
    check_pull_settings(app, platform)  # refused now, not five retries later
    unique = list(dict.fromkeys(h.strip().lstrip("@").lower() for h in handles if h.strip()))
    if not unique:
        raise InputError("no handles to pull", "no_handles")
    invalid = [h for h in unique if not _valid_handle(h, platform)]
    if invalid:
        shown = ", ".join(repr(h) for h in invalid[:5]) + (" …" if len(invalid) > 5 else "")
        raise InputError(f"{len(invalid)} handle(s) break {platform}'s handle rules: {shown}",
                         "invalid_handles")
    size = app.settings.pull_handles_per_job
    ids = []
    with app.connect() as conn, conn.transaction():
        for start in range(0, len(unique), size):
            chunk = unique[start:start + size]
            digest = hashlib.sha256("\n".join(chunk).encode()).hexdigest()[:16]
            job_id = queue.enqueue(conn, "pull", {"platform": platform, "handles": chunk},
                                   queueing_lock=f"pull:{platform}:{digest}",
                                   max_attempts=app.settings.job_max_attempts)
            if job_id is not None:
                ids.append(job_id)
    return ids


def check_pull_settings(app: App, platform: str) -> tuple[str, str]:
    """The platform API's base URL and token, or a ConfigError naming what is missing."""
    url_field, token_field = PLATFORM_SETTINGS[platform]
    base_url = getattr(app.settings, url_field)
    token = app.settings.secret(token_field)
    if not base_url or not token:
        raise ConfigError(f"pulling from {platform} needs {url_field.upper()} and "
                          f"{token_field.upper()}", "pull_not_configured")
    return base_url, token


def _valid_handle(handle: str, platform: str) -> bool:
    try:
        normalize_handle(handle, platform)
    except RowRejected:
        return False
    return True


def client_for(app: App, platform: str) -> SocialApiClient:
    base_url, token = check_pull_settings(app, platform)
    return build_pull_client(platform, base_url, token, rate_per_s=app.settings.pull_rate_per_s,
                             fail_max=app.settings.breaker_fail_max,
                             reset_timeout_s=app.settings.breaker_reset_s,
                             timeout_s=app.settings.provider_timeout_s)


def run_job(app: App, job: Job) -> None:
    payload = payload_of(job, PullPayload)
    platform, handles = payload.platform, payload.handles
    key = inbox_key(app.settings.inbox_prefix, f"pull-{job.id:010d}.jsonl", platform, "jsonl",
                    datetime.fromtimestamp(0, UTC))
    recorded = _recorded_outcomes(app, job.id)
    if not recorded or (recorded.get("found") and app.store.head(key) is None):
        client = client_for(app, platform)
        try:
            result = pull(app, client, handles, key=key, job_id=job.id)
        finally:
            client.close()
    else:  # outcomes and object were written before a crash: do not call the API again
        result = PullResult(platform, inbox_key=key, outcomes=recorded)
    info = app.store.head(key)
    with app.connect() as conn, conn.transaction():
        if info is not None:
            result.source_file_id = register_object(app, conn, info)
        queue.complete(conn, job)
    log.info("pull job done", extra={"job_id": job.id, "platform": platform,
                                     "outcomes": result.outcomes,
                                     "source_file_id": result.source_file_id})


def pull(app: App, client: SocialApiClient, handles: list[str], *, key: str | None = None,
         job_id: int | None = None) -> PullResult:
    """Fetch `handles`, record every outcome, then write the found rows to the inbox."""
    platform = client.platform
    outcomes = client.fetch(handles)
    now = datetime.now(UTC)
    result = PullResult(platform)
    found = [o for o in outcomes if o.outcome == "found" and o.row is not None]
    if found:
        stamp = now.isoformat().replace("+00:00", "Z")
        body = b"".join(orjson.dumps({**(o.row or {}), "scraped_at": stamp}) + b"\n"
                        for o in found)
        if key is None:
            digest = hashlib.sha256(body).hexdigest()[:16]
            key = inbox_key(app.settings.inbox_prefix, f"pull-{now:%H%M%S}-{digest}.jsonl",
                            platform, "jsonl", now)
        result.inbox_key = key
    _record_outcomes(app, outcomes, result.inbox_key, job_id)
    if found and result.inbox_key:
        app.store.put_bytes(result.inbox_key, body, "application/x-ndjson")
    for outcome in outcomes:
        result.outcomes[outcome.outcome] = result.outcomes.get(outcome.outcome, 0) + 1
    log.info("pulled profiles", extra={"platform": platform, "outcomes": result.outcomes})
    return result


def _recorded_outcomes(app: App, job_id: int) -> dict[str, int]:
    with app.connect() as conn:
        return pull_outcomes.counts_of_job(conn, job_id)


def _record_outcomes(app: App, outcomes: list[PullOutcome], key: str | None,
                     job_id: int | None) -> None:
    rows = [(o.platform, o.handle, o.outcome, o.reason, key if o.outcome == "found" else None,
             job_id) for o in outcomes]
    with app.connect() as conn, conn.transaction():
        pull_outcomes.record(conn, rows)
