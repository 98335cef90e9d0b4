"""Loopback emulators of the social platform APIs used by pull connectors (tests and demo).

They follow each documented shape: X `GET /2/users/by` (data + errors with Not Found /
suspended problems, `x-rate-limit-*` headers, 429 body), TikTok Research
`POST /v2/research/user/info/` (data + error envelope), Threads `GET /profile_lookup`
(profile object, OAuth-style error body). Faults come from the shared `SandboxServer` plan.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from sxp.sandbox.server import Fault, Reply, Request, SandboxServer

TOKEN = "sandbox-social-token"


def _authorized(request: Request) -> bool:
    return request.headers.get("authorization") == f"Bearer {TOKEN}"


def _x_fault(fault: Fault) -> Reply:
    status = fault.status or 500
    headers = {}
    if status == 429:
        headers = {"x-rate-limit-limit": "300", "x-rate-limit-remaining": "0",
                   "x-rate-limit-reset": f"{time.time() + (fault.retry_after or 1):.3f}"}
    return Reply(status, {"title": _TITLES.get(status, "Error"), "status": status,
                          "detail": _TITLES.get(status, "Error"), "type": "about:blank"},
                 headers)


_TITLES = {401: "Unauthorized", 403: "Forbidden", 429: "Too Many Requests",
           500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


def start_x_emulator(users: dict[str, dict[str, Any]], *, suspended: Iterable[str] = (),
                     fault_plan: Iterable[Fault | str] = (),
                     window: int = 300) -> SandboxServer:
    """`users` maps lowercase username -> X v2 user object."""
    banned = {s.lower() for s in suspended}
    state = {"left": window}

    def users_by(request: Request) -> Reply:
        names = [n for n in request.query.get("usernames", [""])[0].split(",") if n]
        if not names or len(names) > 100:
            return Reply(400, {"title": "Invalid Request", "detail": "usernames: 1..100"})
        data, errors = [], []
        for name in names:
            if name.lower() in banned:
                errors.append({"value": name, "detail": f"User has been suspended: [{name}].",
                               "title": "Forbidden", "resource_type": "user",
                               "parameter": "usernames", "resource_id": name,
                               "type": "https://api.twitter.com/2/problems/resource-not-found"})
            elif name.lower() in users:
                data.append(users[name.lower()])
            else:
                errors.append({"value": name,
                               "detail": f"Could not find user with usernames: [{name}].",
                               "title": "Not Found Error", "resource_type": "user",
                               "parameter": "usernames", "resource_id": name,
                               "type": "https://api.twitter.com/2/problems/resource-not-found"})
        state["left"] = max(0, state["left"] - 1)
        body: dict[str, Any] = {"data": data} if data else {}
        if errors:
            body["errors"] = errors
        return Reply(200, body, {"x-rate-limit-limit": str(window),
                                 "x-rate-limit-remaining": str(state["left"]),
                                 "x-rate-limit-reset": f"{time.time() + 900:.0f}"})

    return SandboxServer({("GET", "/2/users/by"): users_by}, authorize=_authorized,
                         fault_reply=_x_fault,
                         limited_reply=lambda wait: _x_fault(Fault(429, retry_after=wait)),
                         fault_plan=fault_plan)


def _tiktok_error(code: str, status: int) -> Reply:
    return Reply(status, {"data": {}, "error": {"code": code, "message": code,
                                                "log_id": "sandbox"}})


def start_tiktok_emulator(users: dict[str, dict[str, Any]], *,
                          fault_plan: Iterable[Fault | str] = ()) -> SandboxServer:
    """`users` maps username -> TikTok Research user info (without the username)."""

    def user_info(request: Request) -> Reply:
        body = request.body if isinstance(request.body, dict) else {}
        username = str(body.get("username", "")).lower()
        if username not in users:
            return _tiktok_error("invalid_params", 400) if not username else Reply(
                200, {"data": {}, "error": {"code": "user_not_found", "message": "not found",
                                            "log_id": "sandbox"}})
        return Reply(200, {"data": users[username],
                           "error": {"code": "ok", "message": "", "log_id": "sandbox"}})

    return SandboxServer(
        {("POST", "/v2/research/user/info/"): user_info}, authorize=_authorized,
        fault_reply=lambda f: _tiktok_error(
            {429: "rate_limit_exceeded", 401: "access_token_invalid"}.get(f.status or 500,
                                                                          "internal_error"),
            f.status or 500),
        limited_reply=lambda wait: _tiktok_error("rate_limit_exceeded", 429),
        fault_plan=fault_plan)


def start_threads_emulator(profiles: dict[str, dict[str, Any]], *,
                           fault_plan: Iterable[Fault | str] = ()) -> SandboxServer:
    """`profiles` maps username -> Threads profile lookup object."""

    def lookup(request: Request) -> Reply:
        username = request.query.get("username", [""])[0].lower()
        if username not in profiles:
            return Reply(404, {"error": {"message": "User not found", "type": "OAuthException",
                                         "code": 100, "fbtrace_id": "sandbox"}})
        return Reply(200, profiles[username])

    def error(status: int) -> Reply:
        return Reply(status, {"error": {"message": "error", "type": "OAuthException",
                                        "code": 4 if status == 429 else 2,
                                        "fbtrace_id": "sandbox"}})

    return SandboxServer({("GET", "/profile_lookup"): lookup}, authorize=_authorized,
                         fault_reply=lambda f: error(f.status or 500),
                         limited_reply=lambda wait: error(429), fault_plan=fault_plan)
