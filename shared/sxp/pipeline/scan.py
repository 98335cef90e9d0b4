"""Scan the inbox: register each object once (bucket, key, ETag) and schedule its ingest.

Registration and the `ingest` job commit together, so a crash between them cannot lose or
double a file. A second scan of the same objects schedules nothing; a changed object (new ETag)
is a new file. Import hints ride in the key (see `sxp.pipeline.imports`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from sxp.adapters.objectstore.base import ObjectInfo
from sxp.adapters.postgres import queue
from sxp.adapters.postgres import source_files as files
from sxp.adapters.sources.streams import FORMATS
from sxp.bootstrap import App
from sxp.domain.normalize import PLATFORMS
from sxp.logs import get_logger

log = get_logger("sxp.pipeline.scan")


@dataclass
class ScanResult:
    listed: int = 0
    registered: int = 0
    already_known: int = 0


def hints_from_key(key: str) -> tuple[str | None, str | None]:
    """(platform, format) hints from `platform=<p>/` and `format=<f>/` key segments."""
    platform = fmt = None
    for segment in key.split("/")[:-1]:
        name, _, value = segment.partition("=")
        if name == "platform" and value in PLATFORMS:
            platform = value
        elif name == "format" and value in FORMATS:
            fmt = value
    return platform, fmt


def register_object(app: App, conn: psycopg.Connection[Any], obj: ObjectInfo) -> int | None:
    """Register one inbox object and enqueue its ingest, in the caller's transaction.

    Returns the new source file id, or None when (bucket, key, ETag) was already registered.
    """
    platform, fmt = hints_from_key(obj.key)
    file_id = files.register(conn, bucket=app.store.bucket, key=obj.key, etag=obj.etag,
                             size=obj.size, platform=platform, fmt=fmt)
    if file_id is None:
        return None
    queue.enqueue(conn, "ingest", {"source_file_id": file_id}, queueing_lock=f"ingest:{file_id}",
                  max_attempts=app.settings.job_max_attempts)
    return file_id


def scan(app: App) -> ScanResult:
    result = ScanResult()
    with app.connect() as conn, conn.transaction():
        for obj in app.store.list(app.settings.inbox_prefix):
            if obj.key.endswith("/"):
                continue
            result.listed += 1
            if register_object(app, conn, obj) is None:
                result.already_known += 1
            else:
                result.registered += 1
    log.info("inbox scanned", extra={"listed": result.listed, "registered": result.registered})
    return result
