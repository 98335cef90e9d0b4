"""The enrichment provider port: one typed lookup request per card, typed results per card.

Every adapter turns a chunk of `LookupRequest`s (at most `max_batch`) into one provider call and
returns a `LookupResponse`: normalized results per card, the credits the call cost and the
request hash that keys the call in `contact.provider_calls` (so a rerun never pays twice).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

import orjson
from pydantic import BaseModel, Field


class LookupRequest(BaseModel):
    card_id: int
    first_name: str | None = None
    last_name: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    domain: str | None = None
    # a DNC re-check's number: never sent, it only makes the request new to stored answers
    recheck: int = 0


class Email(BaseModel):
    address: str
    status: str | None = None


class Phone(BaseModel):
    number: str  # E.164
    line_type: str | None = None
    dnc: bool | None = None
    tcpa: bool | None = None
    rank: int | None = None
    reachable: bool | None = None


class Person(BaseModel):
    provider_record_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None
    emails: list[Email] = Field(default_factory=list)
    phones: list[Phone] = Field(default_factory=list)
    confidence: float | None = None


class Business(BaseModel):
    provider_record_id: str | None = None
    name: str | None = None
    domain: str | None = None
    industry: str | None = None
    employee_count: int | None = None
    city: str | None = None
    state: str | None = None
    confidence: float | None = None


class LookupResult(BaseModel):
    card_id: int
    matched: bool = False
    person: Person | None = None
    business: Business | None = None

    @property
    def dnc(self) -> bool:
        return bool(self.person and any(p.dnc for p in self.person.phones))


class LookupResponse(BaseModel):
    provider: str
    request_hash: str
    status_code: int
    credits_used: int = 0
    # billable units per call type ("skip_trace", "people_match", "organization_enrich"):
    # the enrich step prices them with the provider's configured prices
    billed: dict[str, int] = Field(default_factory=dict)
    results: list[LookupResult] = Field(default_factory=list)

    @property
    def matched(self) -> int:
        return sum(1 for r in self.results if r.matched)


class EnrichmentProvider(Protocol):
    """A provider adapter: `lookup` makes exactly one (retried) provider call per chunk."""

    name: str
    max_batch: int

    def lookup(self, requests: Sequence[LookupRequest]) -> LookupResponse: ...

    def close(self) -> None: ...


def request_hash(provider: str, requests: Sequence[LookupRequest]) -> str:
    """Stable hash of what is asked: the same cards with the same inputs hash the same."""
    canonical = [r.model_dump() for r in sorted(requests, key=lambda r: r.card_id)]
    return hashlib.sha256(
        orjson.dumps([provider, canonical], option=orjson.OPT_SORT_KEYS)
    ).hexdigest()
