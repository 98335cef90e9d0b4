"""Handoff: what a batch tells its consumer besides its records, the `batch.published` event,
the per-consumer index objects, and the delivery retry policy. Pure: no I/O.

Lead Card Batch v1.0 closes every object (`additionalProperties: false`), so nothing new can
go into `manifest.json` or a record without breaking a strict v1.0 reader. What a batch adds
travels in files the manifest lists and checksums like the records file:
- `handoff.json`: producer and version, consumer, the batch's place in the consumer's chain
  (sequence, previous batch and its manifest sha256), record and withdrawal counts;
- `versions.jsonl`: one line per card of the batch — its version, the version it supersedes,
  and whether it is a record or a withdrawal (with the reason).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple

import orjson
from pydantic import BaseModel, ConfigDict, Field

HANDOFF_FILE = "handoff.json"
VERSIONS_FILE = "versions.jsonl"
DNC_FILE = "dnc.jsonl"
DNC_CONTENT_TYPE = "application/vnd.sxp.dnc-status+x-ndjson"
HANDOFF_CONTENT_TYPE = "application/vnd.sxp.handoff+json"
VERSIONS_CONTENT_TYPE = "application/vnd.sxp.card-versions+x-ndjson"
EVENT_TYPE = "batch.published"
HEAD_ENTRIES = 100  # newest batches listed in a consumer's head object

# Standard Webhooks' suggested schedule: at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h
# (about 27.5 hours in all)
DEFAULT_RETRY_SCHEDULE_S: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)
CLIENT_ERROR_ATTEMPTS = 3  # a 4xx other than 408, 410 and 429 ends the delivery after these


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Producer(_Strict):
    name: Literal["sxp"] = "sxp"
    version: str


class HandoffInfo(_Strict):
    """`handoff.json` of a batch."""

    schema_version: Literal["lead_card_batch_handoff.v1"] = "lead_card_batch_handoff.v1"
    batch_id: str
    consumer: str
    sequence: int = Field(ge=1, description="1 for the consumer's first batch, then +1")
    previous_batch_id: str | None = None
    previous_manifest_sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")
    producer: Producer
    record_count: int = Field(ge=0)
    withdrawal_count: int = Field(ge=0)
    include_contact: bool


class CardVersion(_Strict):
    """One line of `versions.jsonl`."""

    card_id: int
    version: int = Field(ge=1)
    supersedes_version: int | None = Field(None, ge=1)
    action: Literal["record", "withdrawal"]
    reason: str | None = Field(None, description="why withdrawn: `filter` (no longer matches"
                               " the consumer's filter) or `erased`")
    erased_at: datetime | None = Field(None, description="when the card was erased (an"
                                       " `erased` withdrawal only)")


class VersionRow(NamedTuple):
    """A card of a batch as the export reads it: `CardVersion`'s fields, in its order."""

    card_id: int
    version: int
    supersedes_version: int | None
    action: str
    reason: str | None
    erased_at: datetime | None


def version_lines(rows: Iterable[VersionRow]) -> bytes:
    """`versions.jsonl`: a line per row, the bytes `CardVersion` dumps (a batch has tens of
    thousands: a model each cost the export's one process 14 us a card). The rows come from
    batch_cards, whose constraints are the model's (its action check, migration 091's
    versions); tests hold the lines to the model's."""
    dumps = orjson.dumps
    return b"".join(dumps(row._asdict()) + b"\n" for row in rows)


assert VersionRow._fields == tuple(CardVersion.model_fields)


class DncStatus(_Strict):
    """One line of `dnc.jsonl`: when a record's phone had its do-not-call status checked."""

    card_id: int
    phone_index: int = Field(ge=0, description="in the record's contact.phones")
    dnc: bool | None
    dnc_checked_at: datetime | None
    dnc_stale: bool = Field(description="checked longer ago than the rules file's"
                            " dnc.max_age_days at the batch's creation (or never)")


def dnc_status(card_id: int, phone_index: int, dnc: bool | None, checked_at: datetime | None,
               *, as_of: datetime, max_age_days: float) -> DncStatus:
    stale = checked_at is None or checked_at < as_of - timedelta(days=max_age_days)
    return DncStatus(card_id=card_id, phone_index=phone_index, dnc=dnc,
                     dnc_checked_at=checked_at, dnc_stale=stale)


class EventData(_Strict):
    batch_id: str
    consumer: str
    sequence: int
    previous_batch_id: str | None
    manifest_url: str
    manifest_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    record_count: int
    withdrawal_count: int
    counts_by_execution_label: dict[str, int]


class BatchPublished(_Strict):
    """The thin event of webhook and queue deliveries (Standard Webhooks' payload shape)."""

    type: Literal["batch.published"] = "batch.published"
    timestamp: datetime
    data: EventData


class IndexEntry(_Strict):
    batch_id: str
    sequence: int
    key: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    record_count: int
    withdrawal_count: int
    created_at: datetime


class DayIndex(_Strict):
    """`exports/<env>/<consumer>/index/<yyyy>/<mm>/<dd>.json`: the day's batches, in order."""

    schema_version: Literal["lead_card_batch_day_index.v1"] = "lead_card_batch_day_index.v1"
    consumer: str
    day: str
    manifests: list[IndexEntry]


class IndexHead(_Strict):
    """`exports/<env>/<consumer>/head.json`: the newest batches and every day that has any."""

    schema_version: Literal["lead_card_batch_head.v1"] = "lead_card_batch_head.v1"
    consumer: str
    updated_at: datetime
    latest: list[IndexEntry] = Field(description=f"the newest {HEAD_ENTRIES}, oldest first")
    days: list[str] = Field(description="every day (yyyy-mm-dd) with a batch, oldest first")


Verdict = Literal["delivered", "retry", "paused", "dead"]


def verdict_of(status: int | None, attempts: int, schedule: Sequence[float]) -> Verdict:
    """What an attempt's HTTP status (None: no answer, a timeout) means for the delivery."""
    if status is not None and 200 <= status < 300:
        return "delivered"
    if status == 410:
        return "paused"
    retryable = status is None or status in (408, 429) or status >= 500
    limit = len(schedule) + 1 if retryable else CLIENT_ERROR_ATTEMPTS
    return "retry" if attempts < limit else "dead"


def retry_delay_s(attempts: int, schedule: Sequence[float], retry_after_s: float | None = None,
                  rng: random.Random | None = None) -> float:
    """The wait before attempt `attempts + 1`: the schedule's step with ±10% jitter (so the
    default schedule spans more than 24 hours however the dice fall), and never
    sooner than the receiver's `Retry-After`."""
    step = schedule[min(max(attempts - 1, 0), len(schedule) - 1)] if schedule else 60.0
    jittered = step * (0.9 + 0.2 * (rng or random).random())
    return max(jittered, retry_after_s or 0.0)


def handoff_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schemas of the handoff's files and event, shipped in `contracts/`."""
    models: dict[str, type[BaseModel]] = {
        "lead_card_batch_handoff.v1.schema.json": HandoffInfo,
        "lead_card_version.v1.schema.json": CardVersion,
        "lead_card_dnc_status.v1.schema.json": DncStatus,
        "batch_published_event.v1.schema.json": BatchPublished,
        "lead_card_batch_head.v1.schema.json": IndexHead,
        "lead_card_batch_day_index.v1.schema.json": DayIndex,
    }
    return {name: {"$schema": "https://json-schema.org/draft/2020-12/schema",
                   "$id": f"https://sxp.invalid/contracts/{name}",
                   **model.model_json_schema()} for name, model in models.items()}
