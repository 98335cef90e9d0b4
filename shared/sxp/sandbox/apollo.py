"""Apollo emulator: people match / bulk match and organization enrich / bulk enrich.

`X-Api-Key` header; `details[]` and `domains[]` of at most 10; credits charged only when a
record is found; rate-limit headers `x-minute-usage` / `x-minute-requests-left` on every
answer and HTTP 429 past the limit. `minute_limit` adds Apollo's per-minute quota (a sliding
window of `minute_window_s`, 60 s by default): the headers count it down truthfully and a call
past it gets a 429 with `Retry-After`.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from typing import Any

from sxp.sandbox import synthetic
from sxp.sandbox.server import Fault, Reply, Request, SandboxServer

MAX_BULK = 10
INDUSTRIES = (
    "marketing & advertising",
    "computer software",
    "retail",
    "health, wellness & fitness",
    "entertainment",
    "apparel & fashion",
)

Overrides = dict[tuple[str, str], dict[str, Any]]


def build(
    *, api_key: str, match_rate: float = 0.6, overrides: Overrides | None = None, **options: Any
) -> SandboxServer:
    planted = {(f.lower(), last.lower()): v for (f, last), v in (overrides or {}).items()}
    quota = MinuteQuota(options.pop("minute_limit", None), options.pop("minute_window_s", 60.0))
    server: SandboxServer

    def headers() -> dict[str, str]:
        limit = quota.limit or int((server.rate_per_s or 1000 / 60) * 60)
        used = quota.usage() if quota.limit else server.window_usage()
        return {
            "x-rate-limit-minute": str(limit),
            "x-minute-usage": str(used),
            "x-minute-requests-left": str(max(0, limit - used)),
        }

    def people_match(request: Request) -> Reply:
        if not isinstance(request.body, dict):
            return _error(422, "invalid request body")
        person = _person(request.body, match_rate, planted)
        server.charge(1 if person else 0)
        return Reply(200, {"person": person}, headers())

    def bulk_match(request: Request) -> Reply:
        body = request.body
        details = body.get("details") if isinstance(body, dict) else None
        if not isinstance(details, list) or not details or len(details) > MAX_BULK:
            return _error(422, f"details must hold 1..{MAX_BULK} records")
        matches = [_person(d if isinstance(d, dict) else {}, match_rate, planted) for d in details]
        found = sum(1 for m in matches if m)
        server.charge(found)
        return Reply(
            200,
            {
                "status": "success",
                "error_code": None,
                "error_message": None,
                "total_requested_enrichments": len(details),
                "unique_enriched_records": found,
                "missing_records": len(details) - found,
                "credits_consumed": found,
                "matches": matches,
            },
            headers(),
        )

    def org_enrich(request: Request) -> Reply:
        domain = (request.query.get("domain") or [""])[0]
        if not domain:
            return _error(422, "domain is required")
        org = _organization(domain, match_rate)
        server.charge(1 if org else 0)
        return Reply(200, {"organization": org} if org else {}, headers())

    def org_bulk(request: Request) -> Reply:
        body = request.body
        domains = body.get("domains") if isinstance(body, dict) else None
        if not isinstance(domains, list) or not domains or len(domains) > MAX_BULK:
            return _error(422, f"domains must hold 1..{MAX_BULK} domains")
        orgs = [o for o in (_organization(str(d), match_rate) for d in domains) if o]
        server.charge(len(orgs))
        return Reply(
            200,
            {
                "status": "success",
                "total_requested_domains": len(domains),
                "unique_domains": len(set(domains)),
                "unique_enriched_records": len(orgs),
                "missing_records": len(domains) - len(orgs),
                "organizations": orgs,
            },
            headers(),
        )

    def metered(route: Callable[[Request], Reply]) -> Callable[[Request], Reply]:
        return quota.guard(route, headers)

    server = SandboxServer(
        {
            ("POST", "/api/v1/people/match"): metered(people_match),
            ("POST", "/api/v1/people/bulk_match"): metered(bulk_match),
            ("GET", "/api/v1/organizations/enrich"): metered(org_enrich),
            ("POST", "/api/v1/organizations/bulk_enrich"): metered(org_bulk),
        },
        authorize=lambda r: r.headers.get("x-api-key") == api_key,
        fault_reply=_fault_reply,
        limited_reply=_limited,
        **options,
    )
    return server


def _person(
    detail: dict[str, Any], rate: float, planted: dict[tuple[str, str], dict[str, Any]]
) -> dict[str, Any] | None:
    first = str(detail.get("first_name") or "").strip()
    last = str(detail.get("last_name") or "").strip()
    domain = str(detail.get("domain") or "").strip().lower()
    plant = planted.get((first.lower(), last.lower()))
    if plant is not None:
        if not plant.get("matched", True):
            return None
        seed = synthetic.digest(first, last, domain)
        return {**_base_person(first, last, domain, seed, rate), **plant}
    if not (first and last and (domain or detail.get("organization_name"))):
        return None
    if not synthetic.matches(rate, first, last, domain):
        return None
    return _base_person(first, last, domain, synthetic.digest(first, last, domain), rate)


def _base_person(first: str, last: str, domain: str, seed: int, rate: float) -> dict[str, Any]:
    org = _organization(domain, 1.0) if domain else None
    return {
        "id": f"ap{seed % 10**12:012d}",
        "first_name": first.title(),
        "last_name": last.title(),
        "name": f"{first.title()} {last.title()}",
        "title": "Founder" if seed % 2 else "Creator",
        "email": synthetic.email(first, last, seed, "example.net") if seed % 3 else None,
        "email_status": "verified" if seed % 3 else "unavailable",
        "organization_id": org["id"] if org else None,
        "organization": org,
    }


def _organization(domain: str, rate: float) -> dict[str, Any] | None:
    domain = domain.strip().lower()
    if not domain or not synthetic.matches(rate, "org", domain):
        return None
    seed = synthetic.digest("org", domain)
    label = domain.split(".")[0]
    return {
        "id": f"org{seed % 10**10:010d}",
        "name": label.replace("-", " ").title(),
        "primary_domain": domain,
        "website_url": f"http://www.{domain}",
        "industry": INDUSTRIES[seed % len(INDUSTRIES)],
        "estimated_num_employees": 1 + seed % 500,
        "city": "Austin" if seed % 2 else "Denver",
        "state": "Texas" if seed % 2 else "Colorado",
        "country": "United States",
    }


def _error(code: int, text: str) -> Reply:
    return Reply(code, {"error": text, "error_code": f"HTTP_{code}"})


def _fault_reply(fault: Fault) -> Reply:
    status = fault.status or 500
    texts = {
        401: "Invalid access credentials.",
        402: "Insufficient credits.",
        422: "Unprocessable entity.",
        429: "The maximum number of api calls allowed has been exceeded.",
    }
    reply = _error(status, texts.get(status, "Something went wrong."))
    if status == 429:
        reply.headers["x-minute-requests-left"] = "0"
    if fault.retry_after is not None:
        reply.headers["Retry-After"] = str(int(fault.retry_after))
    return reply


def _limited(wait_s: float) -> Reply:
    reply = _fault_reply(Fault(429))
    reply.headers["Retry-After"] = str(max(1, round(wait_s + 0.5)))
    return reply


class MinuteQuota:
    """Apollo's per-minute request quota as a sliding window (off when `limit` is None)."""

    def __init__(self, limit: int | None, window_s: float) -> None:
        self.limit, self.window_s = limit, window_s
        self._sent: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def take(self) -> float | None:
        """Count a request; seconds until the window reopens when the quota is spent."""
        if not self.limit:
            return None
        with self._lock:
            now = self._expire()
            if len(self._sent) >= self.limit:
                return self.window_s - (now - self._sent[0])
            self._sent.append(now)
        return None

    def guard(self, route: Callable[[Request], Reply], headers: Callable[[], dict[str, str]]
              ) -> Callable[[Request], Reply]:
        """The route behind the quota: past it, a 429 with Retry-After and the quota headers."""

        def handle(request: Request) -> Reply:
            wait = self.take()
            if wait is not None:
                reply = _limited(wait)
                reply.headers.update(headers())
                return reply
            return route(request)

        return handle

    def usage(self) -> int:
        with self._lock:
            self._expire()
            return len(self._sent)

    def _expire(self) -> float:
        now = time.monotonic()
        while self._sent and now - self._sent[0] >= self.window_s:
            self._sent.popleft()
        return now
