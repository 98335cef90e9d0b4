"""Apollo adapter over httpx: `POST /api/v1/people/bulk_match` with up to 10 `details[]`, then
`POST /api/v1/organizations/bulk_enrich` for the domains of people it did not match.

`X-Api-Key` header. Every answer's rate-limit headers (`x-minute-requests-left`, ...,
`Retry-After` on a 429) feed a `HeaderThrottle` that slows the adapter before Apollo's limit.
Credits are what Apollo reports in `credits_consumed` (charged only when a
record is found). Phones are not revealed here (Apollo reveals them through a webhook); emails
and the person's organization come back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from sxp.adapters.providers.base import (
    Business,
    Email,
    LookupRequest,
    LookupResponse,
    LookupResult,
    Person,
    request_hash,
)
from sxp.adapters.providers.resilience import ResilientCaller
from sxp.adapters.providers.throttle import HeaderThrottle
from sxp.domain.contact_points import normalize_email
from sxp.errors import ProviderRetryable

BULK_MATCH = "/api/v1/people/bulk_match"
BULK_ENRICH = "/api/v1/organizations/bulk_enrich"


class ApolloProvider:
    name = "apollo"
    max_batch = 10

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        caller: ResilientCaller,
        timeout_s: float = 10.0,
        client: httpx.Client | None = None,
        throttle: HeaderThrottle | None = None,
    ) -> None:
        self.caller = caller
        self.throttle = throttle or HeaderThrottle()
        self._client = client or httpx.Client(
            base_url=base_url,
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
            headers={
                "X-Api-Key": api_key,
                "Accept": "application/json",
                "Cache-Control": "no-cache",
            },
        )

    def lookup(self, requests: Sequence[LookupRequest]) -> LookupResponse:
        if not 1 <= len(requests) <= self.max_batch:
            raise ValueError(f"apollo bulk_match takes 1..{self.max_batch} people per call")
        body = build_request_body(requests)
        status, payload = self.caller.call(
            lambda: self._post(BULK_MATCH, body), records=len(requests)
        )
        response = parse_response(requests, payload, status)
        missing = sorted(
            {
                r.domain.lower()
                for r, res in zip(requests, response.results, strict=True)
                if r.domain and not res.matched
            }
        )
        if missing:
            response = self._enrich_organizations(requests, response, missing)
        return response

    def _enrich_organizations(
        self, requests: Sequence[LookupRequest], response: LookupResponse, domains: list[str]
    ) -> LookupResponse:
        """People not matched but with a domain: the business alone, via bulk_enrich."""
        _status, payload = self.caller.call(
            lambda: self._post(BULK_ENRICH, {"domains": domains}),
            records=len(domains),
        )
        orgs = payload.get("organizations") if isinstance(payload, dict) else None
        by_domain = {
            str(o.get("primary_domain") or "").lower(): o
            for o in (orgs if isinstance(orgs, list) else [])
            if isinstance(o, dict)
        }
        results = []
        for request, result in zip(requests, response.results, strict=True):
            org = by_domain.get((request.domain or "").lower()) if not result.matched else None
            if org is not None:
                result = LookupResult(
                    card_id=request.card_id, matched=True, business=_business(org)
                )
            results.append(result)
        # Apollo charges one credit per organization found
        return response.model_copy(
            update={
                "results": results,
                "credits_used": response.credits_used + len(by_domain),
                "billed": {**response.billed, "organization_enrich": len(by_domain)},
            }
        )

    def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        """One exchange, paced by what Apollo's last answers said is left of its windows."""
        self.throttle.wait()
        response = self._client.post(path, json=body)
        self.throttle.observe(response.status_code, response.headers)
        return response

    def close(self) -> None:
        self._client.close()
        self.caller.close()


def build_request_body(requests: Sequence[LookupRequest]) -> dict[str, Any]:
    details = []
    for r in requests:
        detail: dict[str, Any] = {
            "id": str(r.card_id),
            "first_name": r.first_name,
            "last_name": r.last_name,
            "domain": r.domain,
        }
        details.append({k: v for k, v in detail.items() if v})
    return {"details": details, "reveal_personal_emails": True, "reveal_phone_number": False}


def parse_response(requests: Sequence[LookupRequest], payload: Any, status: int) -> LookupResponse:
    if not isinstance(payload, dict) or not isinstance(payload.get("matches"), list):
        raise ProviderRetryable(
            "apollo answered without matches[]", "provider_malformed_response", status=status
        )
    matches = payload["matches"]
    aligned = len(matches) == len(requests)
    results = []
    for index, request in enumerate(requests):
        match = matches[index] if aligned else _find(matches, request)
        results.append(_result(request, match if isinstance(match, dict) else None))
    credits = payload.get("credits_consumed")
    people = (
        int(credits) if isinstance(credits, int | float) else sum(1 for r in results if r.matched)
    )
    return LookupResponse(
        provider=ApolloProvider.name,
        request_hash=request_hash(ApolloProvider.name, requests),
        status_code=status,
        results=results,
        credits_used=people,
        billed={"people_match": people},
    )


def _find(matches: list[Any], request: LookupRequest) -> Any:
    """Unaligned answers: pair by name (Apollo echoes first and last name)."""
    for match in matches:
        if (
            isinstance(match, dict)
            and str(match.get("first_name") or "").lower() == (request.first_name or "").lower()
            and str(match.get("last_name") or "").lower() == (request.last_name or "").lower()
        ):
            return match
    return None


def _result(request: LookupRequest, match: dict[str, Any] | None) -> LookupResult:
    if match is None:
        return LookupResult(card_id=request.card_id)
    email = normalize_email(match.get("email"))
    emails = [Email(address=email, status=match.get("email_status"))] if email else []
    person = Person(
        provider_record_id=match.get("id"),
        first_name=match.get("first_name"),
        last_name=match.get("last_name"),
        title=match.get("title"),
        emails=emails,
        confidence=0.9 if match.get("email_status") == "verified" else 0.6,
    )
    org = match.get("organization")
    business = _business(org) if isinstance(org, dict) else None
    return LookupResult(card_id=request.card_id, matched=True, person=person, business=business)


def _business(org: dict[str, Any]) -> Business:
    employees = org.get("estimated_num_employees")
    return Business(
        provider_record_id=org.get("id"),
        name=org.get("name"),
        domain=(org.get("primary_domain") or None),
        industry=org.get("industry"),
        employee_count=employees if isinstance(employees, int) else None,
        city=org.get("city"),
        state=org.get("state"),
        confidence=0.8,
    )
