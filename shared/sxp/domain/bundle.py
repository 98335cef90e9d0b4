"""Lead Card Batch v1: the handoff contract, one pydantic model per record that crosses it.

A bundle is `lead_cards.jsonl.gz` (one `LeadCardRecord` per line) plus `manifest.json`
(`Manifest`). The JSON Schemas in `contracts/` are generated from these models
(`lead_card_batch_schemas()`), and a test keeps them in sync.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sxp.domain.profiles import PublicProfile

RECORD_SCHEMA_VERSION: Final = "lead_card.v1"
MANIFEST_SCHEMA_VERSION: Final = "lead_card_batch.v1"
RECORDS_FILE = "lead_cards.jsonl.gz"
MANIFEST_FILE = "manifest.json"

Platform = Literal["x", "tiktok", "threads"]
EnrichmentStatus = Literal["enriched", "not_found", "ineligible"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Profile(PublicProfile):
    """Public Tier 1 fields of the social profile (no e-mails or phones, ever)."""


class Scores(_Strict):
    readiness: str
    readiness_score: float = Field(ge=0, le=1)
    base_confidence: float = Field(ge=0, le=1)


class Labels(_Strict):
    persona: str | None = None
    tribe: str | None = None
    audience_pool: str | None = None
    execution_label: str | None = None
    ruleset_version: str | None = None
    rules_fired: list[str] = Field(default_factory=list)


class Enrichment(_Strict):
    status: EnrichmentStatus
    reason: str | None = None
    batch_id: str | None = None
    enriched_at: datetime | None = None


class Phone(_Strict):
    number: str = Field(min_length=3, description="E.164 when the provider gave a valid number")
    line_type: str | None = None
    dnc: bool | None = None
    tcpa: bool | None = None
    reachable: bool | None = None
    rank: int | None = None


class Contact(_Strict):
    provider: str
    first_name: str | None = None
    last_name: str | None = None
    emails: list[str] = Field(default_factory=list)
    phones: list[Phone] = Field(default_factory=list)
    confidence: float | None = Field(None, ge=0, le=1)
    fetched_at: datetime


class Business(_Strict):
    provider: str
    name: str | None = None
    domain: str | None = None
    industry: str | None = None
    employee_count: int | None = Field(None, ge=0)
    city: str | None = None
    state: str | None = None
    confidence: float | None = Field(None, ge=0, le=1)
    fetched_at: datetime


class Provenance(_Strict):
    profile_id: int
    source_file_id: int | None = None
    profile_hash: str
    card_created_at: datetime
    labeled_at: datetime | None = None
    contact_providers: list[str] = Field(default_factory=list)


class LeadCardRecord(_Strict):
    """One line of `lead_cards.jsonl.gz`."""

    model_config = ConfigDict(extra="forbid", frozen=True,
                              json_schema_extra={"title": "Lead Card record (Lead Card Batch v1)"})

    schema_version: Literal["lead_card.v1"] = "lead_card.v1"
    card_id: int
    platform: Platform
    handle: str = Field(min_length=1)
    profile: Profile
    scores: Scores
    labels: Labels
    enrichment: Enrichment
    contact: Contact | None = None
    business: Business | None = None
    dnc: bool | None = Field(None, description="true when any phone is on a do-not-call list")
    provenance: Provenance


@dataclass
class RecordLines:
    """Records as the records file holds them, in order: one compact JSON object per line,
    with how many carry each execution label and enrichment status (the manifest's counts)."""

    lines: list[bytes] = field(default_factory=list)
    labels: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)

    def add(self, record: LeadCardRecord) -> None:
        self.add_line(record.model_dump_json().encode() + b"\n",
                      record.labels.execution_label, record.enrichment.status)

    def add_line(self, line: bytes, execution_label: str | None, status: str) -> None:
        """A record's line as `add` writes it (made without the model: `plain_record_line`)."""
        self.lines.append(line)
        self.labels[execution_label or "unlabeled"] += 1
        self.statuses[status] += 1


class ManifestFile(_Strict):
    path: str = Field(description="relative to the manifest's folder")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size_bytes: int = Field(ge=0)
    record_count: int = Field(ge=0)
    content_type: str
    compression: Literal["gzip", "none"]


class Manifest(_Strict):
    """`manifest.json` of one Lead Card Batch."""

    schema_version: Literal["lead_card_batch.v1"] = "lead_card_batch.v1"
    record_schema_version: Literal["lead_card.v1"] = "lead_card.v1"
    batch_id: str = Field(min_length=1)
    env: str
    created_at: datetime
    record_count: int = Field(ge=0)
    files: list[ManifestFile] = Field(min_length=1)
    counts_by_execution_label: dict[str, int]
    counts_by_enrichment_status: dict[str, int]


def describe_validation_error(exc: ValidationError, limit: int = 5) -> str:
    """Field locations and messages only: never the input values (they may hold PII)."""
    parts = [f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
             for err in exc.errors(include_input=False)[:limit]]
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def lead_card_batch_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schemas shipped in `contracts/`, keyed by file name."""
    return {
        "lead_card_batch.v1.schema.json": _with_id(
            LeadCardRecord.model_json_schema(), "lead_card_batch.v1.schema.json"),
        "lead_card_batch_manifest.v1.schema.json": _with_id(
            Manifest.model_json_schema(), "lead_card_batch_manifest.v1.schema.json"),
    }


def _with_id(schema: dict[str, Any], name: str) -> dict[str, Any]:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"https://sxp.invalid/contracts/{name}", **schema}
