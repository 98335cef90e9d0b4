"""Skip-trace adapter (BatchData's documented shape) over httpx.

One `POST /api/v1/property/skip-trace` per chunk of at most 100 cards, bearer token,
`includeTCPABlacklistedPhones` on so TCPA flags are passed on instead of silently dropped.
Billing: one credit per matched person; unmatched and non-US requests are free.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from sxp.adapters.providers.base import (
    Email,
    LookupRequest,
    LookupResponse,
    LookupResult,
    Person,
    Phone,
    request_hash,
)
from sxp.adapters.providers.resilience import ResilientCaller
from sxp.domain.contact_points import normalize_email, normalize_line_type, normalize_phone
from sxp.errors import ProviderRetryable

PATH = "/api/v1/property/skip-trace"


class SkipTraceProvider:
    name = "skiptrace"
    max_batch = 100

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        caller: ResilientCaller,
        timeout_s: float = 10.0,
        client: httpx.Client | None = None,
    ) -> None:
        self.caller = caller
        self._client = client or httpx.Client(
            base_url=base_url,
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
            headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
        )

    def lookup(self, requests: Sequence[LookupRequest]) -> LookupResponse:
        if not 1 <= len(requests) <= self.max_batch:
            raise ValueError(f"skip trace takes 1..{self.max_batch} requests per call")
        body = build_request_body(requests)
        status, payload = self.caller.call(
            lambda: self._client.post(PATH, json=body), records=len(requests)
        )
        return parse_response(requests, payload, status)

    def close(self) -> None:
        self._client.close()
        self.caller.close()


def build_request_body(requests: Sequence[LookupRequest]) -> dict[str, Any]:
    return {
        "requests": [
            {
                "requestId": str(r.card_id),
                "name": {"first": r.first_name or "", "last": r.last_name or ""},
                "propertyAddress": {
                    "street": "",
                    "city": r.city or "",
                    "state": r.state or "",
                    "zip": r.zip or "",
                },
            }
            for r in requests
        ],
        "options": {"includeTCPABlacklistedPhones": True},
    }


def parse_response(requests: Sequence[LookupRequest], payload: Any, status: int) -> LookupResponse:
    persons = _persons(payload)
    by_id: dict[str, dict[str, Any]] = {}
    for person in persons:
        meta = person.get("meta") or {}
        by_id[str(meta.get("requestId"))] = person
    results = [_result(r, by_id.get(str(r.card_id))) for r in requests]
    return LookupResponse(
        provider=SkipTraceProvider.name,
        request_hash=request_hash(SkipTraceProvider.name, requests),
        status_code=status,
        credits_used=sum(1 for r in results if r.matched),
        billed={"skip_trace": sum(1 for r in results if r.matched)},
        results=results,
    )


def _persons(payload: Any) -> list[dict[str, Any]]:
    results = payload.get("results") if isinstance(payload, dict) else None
    persons = results.get("persons") if isinstance(results, dict) else None
    if not isinstance(persons, list):
        raise ProviderRetryable(
            "skiptrace answered without results.persons", "provider_malformed_response", status=200
        )
    return [p for p in persons if isinstance(p, dict)]


def _result(request: LookupRequest, person: dict[str, Any] | None) -> LookupResult:
    if person is None or not (person.get("meta") or {}).get("matched"):
        return LookupResult(card_id=request.card_id)
    phones = [p for p in (_phone(raw) for raw in person.get("phones") or []) if p]
    phones.sort(key=lambda p: p.rank if p.rank is not None else 1_000)
    emails: list[Email] = []
    for raw in person.get("emails") or []:
        address = normalize_email(raw.get("email") if isinstance(raw, dict) else raw)
        if address and all(e.address != address for e in emails):
            emails.append(Email(address=address))
    name = person.get("name") or {}
    return LookupResult(
        card_id=request.card_id,
        matched=True,
        person=Person(
            first_name=name.get("first") or request.first_name,
            last_name=name.get("last") or request.last_name,
            emails=emails,
            phones=phones,
            confidence=0.8 if phones else 0.5,
        ),
    )


def _phone(raw: Any) -> Phone | None:
    if not isinstance(raw, dict):
        return None
    number = normalize_phone(raw.get("number"))
    if number is None:
        return None
    rank = raw.get("rank")
    return Phone(
        number=number,
        line_type=normalize_line_type(raw.get("type")),
        dnc=_flag(raw.get("dnc")),
        tcpa=_flag(raw.get("tcpa")),
        rank=rank if isinstance(rank, int) else None,
        reachable=_flag(raw.get("reachable")),
    )


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None
