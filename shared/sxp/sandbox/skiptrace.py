"""Skip-trace emulator in BatchData's documented shape: `POST /api/v1/property/skip-trace`.

Bearer token; up to 100 `requests[]` per call; per-request persons with `phones[]` (number, type,
rank, dnc, tcpa, reachable) and `emails[]`; TCPA-restricted phones only when
`options.includeTCPABlacklistedPhones` is true; non-US or unmatched requests come back with
`meta.matched = false` and are not billed.
"""

from __future__ import annotations

from typing import Any

from sxp.sandbox import synthetic
from sxp.sandbox.server import Fault, Reply, Request, SandboxServer

PATH = "/api/v1/property/skip-trace"
MAX_REQUESTS = 100
STATUS_TEXT = {
    401: "Unauthorized",
    402: "Payment Required: quota exhausted",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}

Overrides = dict[tuple[str, str], dict[str, Any]]


def build(
    *, api_key: str, match_rate: float = 0.7, overrides: Overrides | None = None, **options: Any
) -> SandboxServer:
    planted = {(f.lower(), last.lower()): v for (f, last), v in (overrides or {}).items()}
    server: SandboxServer

    def skip_trace(request: Request) -> Reply:
        body = request.body
        reqs = body.get("requests") if isinstance(body, dict) else None
        if not isinstance(reqs, list) or not reqs or len(reqs) > MAX_REQUESTS:
            return _error(422, f"requests must be a list of 1..{MAX_REQUESTS} items")
        include_tcpa = bool((body.get("options") or {}).get("includeTCPABlacklistedPhones"))
        persons = [_answer(r, match_rate, planted, include_tcpa) for r in reqs]
        matched = sum(1 for p in persons if p["meta"]["matched"])
        server.charge(matched)
        return Reply(
            200,
            {
                "status": {"code": 200, "text": "OK"},
                "results": {
                    "persons": persons,
                    "meta": {
                        "requestCount": len(reqs),
                        "matchCount": matched,
                        "noMatchCount": len(reqs) - matched,
                        "errorCount": 0,
                    },
                },
            },
        )

    server = SandboxServer(
        {("POST", PATH): skip_trace},
        authorize=lambda r: r.headers.get("authorization") == f"Bearer {api_key}",
        fault_reply=_fault_reply,
        limited_reply=_limited,
        **options,
    )
    return server


def _answer(
    req: Any, rate: float, planted: dict[tuple[str, str], dict[str, Any]], include_tcpa: bool
) -> dict[str, Any]:
    req = req if isinstance(req, dict) else {}
    name = req.get("name") or {}
    addr = req.get("propertyAddress") or {}
    first, last = str(name.get("first") or ""), str(name.get("last") or "")
    city, state = str(addr.get("city") or ""), str(addr.get("state") or "").upper()
    meta = {"requestId": req.get("requestId"), "matched": False}
    person: dict[str, Any] = {
        "meta": meta,
        "name": {"first": first, "last": last},
        "propertyAddress": addr,
        "phones": [],
        "emails": [],
    }
    plant = planted.get((first.lower(), last.lower()))
    if plant is not None:
        meta["matched"] = bool(plant.get("matched", True))
        if meta["matched"]:
            phones = [dict(p) for p in plant.get("phones", [])]
            person["phones"] = [p for p in phones if include_tcpa or not p.get("tcpa")]
            person["emails"] = [{"email": e} for e in plant.get("emails", [])]
        return person
    if not (first and last and city) or state not in synthetic.US_STATES:
        return person
    if not synthetic.matches(rate, first, last, city, state):
        return person
    seed = synthetic.digest(first, last, city, state)
    meta["matched"] = True
    phones = []
    for i in range(1 + seed % 3):
        phones.append(
            {
                "number": synthetic.phone(seed, i),
                "type": synthetic.LINE_TYPES[(seed >> (i + 11)) % 3],
                "rank": i + 1,
                "dnc": (seed >> (i + 17)) % 5 == 0,
                "tcpa": (seed >> (i + 23)) % 11 == 0,
                "reachable": (seed >> (i + 29)) % 4 != 0,
            }
        )
    person["phones"] = [p for p in phones if include_tcpa or not p["tcpa"]]
    person["emails"] = [{"email": synthetic.email(first, last, seed)}] if seed % 4 else []
    return person


def _error(code: int, text: str) -> Reply:
    return Reply(code, {"status": {"code": code, "text": text}})


def _fault_reply(fault: Fault) -> Reply:
    status = fault.status or 500
    reply = _error(status, STATUS_TEXT.get(status, "Error"))
    if fault.retry_after is not None:
        reply.headers["Retry-After"] = str(int(fault.retry_after))
    return reply


def _limited(wait_s: float) -> Reply:
    reply = _error(429, STATUS_TEXT[429])
    reply.headers["Retry-After"] = str(max(1, round(wait_s + 0.5)))
    return reply
