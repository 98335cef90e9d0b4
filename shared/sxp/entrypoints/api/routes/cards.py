"""Lead cards: filtered pages with an opaque cursor, and one card with why it is what it is."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel

from sxp.adapters.postgres import card_reads as repo
from sxp.bootstrap import App
from sxp.entrypoints.api.deps import PRINTABLE, Caller, get_app, require
from sxp.entrypoints.api.problems import ApiProblem, responses

router = APIRouter(prefix="/v1/cards", tags=["cards"])
LabelValue = Annotated[str | None, Query(max_length=100, pattern=PRINTABLE)]
EnrichState = Literal["new", "ineligible", "queued", "enriched", "not_found", "failed"]
MAX_ID = 2**63 - 1


class CardSummary(BaseModel):
    id: int
    platform: str
    handle: str
    readiness: str
    readiness_score: float
    base_confidence: float
    persona: str | None
    tribe: str | None
    audience_pool: str | None
    execution_label: str | None
    ruleset_version: str | None
    enrich_state: str
    enrich_reason: str | None
    updated_at: datetime


class CardPage(BaseModel):
    cards: list[CardSummary]
    next_page_token: str | None  # pass as `page_token` for the next page; null: the last


class Enrichment(BaseModel):
    state: str
    reason: str | None
    batch_id: str | None
    provider: str | None
    enriched_at: datetime | None
    dnc: bool | None


class Labels(BaseModel):
    persona: str | None
    tribe: str | None
    audience_pool: str | None
    execution_label: str | None
    ruleset_version: str | None
    rules_fired: list[str]
    labeled_at: datetime | None


class Scores(BaseModel):
    readiness: str
    readiness_score: float
    base_confidence: float
    components: dict[str, Any]  # the signals the scores were computed from


class ContactRecord(BaseModel):
    kind: Literal["contact", "business"]
    provider: str
    first_name: str | None = None
    last_name: str | None = None
    emails: list[str] | None = None
    phones: list[dict[str, Any]] | None = None
    name: str | None = None
    domain: str | None = None
    confidence: float | None = None
    fetched_at: datetime | None = None


class CardDetail(BaseModel):
    id: int
    profile_id: int
    platform: str
    handle: str
    profile_hash: str
    scores: Scores
    labels: Labels
    enrichment: Enrichment
    export_batch_id: str | None
    created_at: datetime
    updated_at: datetime
    contacts: list[ContactRecord] | None = None  # only for keys with contacts:read


def _cursor(after_id: int) -> str:
    return base64.urlsafe_b64encode(f"c1:{after_id}".encode()).decode().rstrip("=")


def _after(token: str | None) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        version, _, value = text.partition(":")
        after = int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ApiProblem(400, "bad_page_token", "page_token is not one this API gave") from None
    if version != "c1" or not 0 <= after <= MAX_ID:
        raise ApiProblem(400, "bad_page_token", "page_token is not one this API gave")
    return after


@router.get("", response_model=CardPage, summary="Lead cards, filtered, in pages",
            responses=responses(400, 401, 403, 429))
def list_cards(
    app: App = Depends(get_app),
    _caller: Caller = Depends(require("cards:read")),
    execution_label: LabelValue = None,
    audience_pool: LabelValue = None,
    persona: LabelValue = None,
    tribe: LabelValue = None,
    enrich_state: EnrichState | None = None,
    platform: Literal["x", "tiktok", "threads"] | None = None,
    updated_since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    page_token: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    where = repo.CardFilter(execution_label, audience_pool, persona, tribe, enrich_state,
                            platform, updated_since)
    with app.pooled() as conn:
        rows = repo.page(conn, where, after_id=_after(page_token), limit=limit + 1)
    more = len(rows) > limit
    cards = rows[:limit]
    # the rows are CardSummary's fields as Postgres gives them (numbers as float8): written
    # as JSON at once, without building and validating a model per card on the hot path
    body = {"cards": cards, "next_page_token": _cursor(cards[-1]["id"]) if more else None}
    return Response(orjson.dumps(body), media_type="application/json")


@router.get("/{card_id}", response_model=CardDetail, response_model_exclude_none=False,
            summary="One lead card: scores, the rules that fired, enrichment and provenance",
            responses=responses(401, 403, 404, 429))
def get_card(card_id: int, app: App = Depends(get_app),
             caller: Caller = Depends(require("cards:read"))) -> CardDetail:
    if not 0 < card_id <= MAX_ID:
        raise ApiProblem(404, "not_found", "no lead card has that id")
    with app.pooled() as conn:
        row = repo.one(conn, card_id)
        contacts = repo.contacts_of(conn, card_id) if row and caller.may("contacts:read") \
            else None
    if row is None:
        raise ApiProblem(404, "not_found", "no lead card has that id")
    return CardDetail(
        id=row["id"], profile_id=row["profile_id"], platform=row["platform"],
        handle=row["handle"], profile_hash=row["profile_hash"],
        scores=Scores(readiness=row["readiness"], readiness_score=row["readiness_score"],
                      base_confidence=row["base_confidence"], components=row["signals"] or {}),
        labels=Labels(persona=row["persona"], tribe=row["tribe"],
                      audience_pool=row["audience_pool"],
                      execution_label=row["execution_label"],
                      ruleset_version=row["ruleset_version"],
                      rules_fired=list(row["rules_fired"] or []), labeled_at=row["labeled_at"]),
        enrichment=Enrichment(state=row["enrich_state"], reason=row["enrich_reason"],
                              batch_id=row["enrichment_batch_id"],
                              provider=row["enrichment_provider"],
                              enriched_at=row["enriched_at"], dnc=row["dnc"]),
        export_batch_id=row["export_batch_id"], created_at=row["created_at"],
        updated_at=row["updated_at"],
        contacts=None if contacts is None else [ContactRecord(**c) for c in contacts])
