"""Pull connectors: fetch profiles by handle from the X, TikTok Research and Threads APIs.

Each client sends through the shared `ResilientCaller` (client-side rate limit, tenacity retries
with backoff on 429/5xx/timeouts honouring Retry-After, a pybreaker circuit per platform) and
returns one `PullOutcome` per handle: found (with the raw API object, in the platform's shape,
so it lands exactly like a dropped file), not_found, suspended, or failed.

- X: `GET /2/users/by?usernames=` (≤100 per request, bearer token); `x-rate-limit-remaining`
  of 0 makes the client wait until `x-rate-limit-reset`; a 429 is retried after that reset.
- TikTok Research: `POST /v2/research/user/info/?fields=…` with `{"username": …}` per handle.
- Threads: `GET /profile_lookup?username=` per handle.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx

from sxp.adapters.providers.resilience import (
    RateLimiter,
    ResilientCaller,
    RetryPolicy,
    build_breaker,
)
from sxp.errors import ProviderFatal

X_USER_FIELDS = ("created_at,description,entities,location,profile_image_url,public_metrics,"
                 "url,verified")
TIKTOK_FIELDS = ("display_name,bio_description,avatar_url,is_verified,follower_count,"
                 "following_count,likes_count,video_count,bio_url")
X_BATCH = 100
MAX_RESET_WAIT_S = 900.0


@dataclass(frozen=True)
class PullOutcome:
    platform: str
    handle: str
    outcome: str  # found | not_found | suspended | failed
    row: dict[str, Any] | None = None
    reason: str | None = None


class SocialApiClient:
    platform = ""

    def __init__(self, base_url: str, token: str, caller: ResilientCaller, *,
                 timeout_s: float = 10.0, sleep: Callable[[float], None] = time.sleep) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=timeout_s,
                                  headers={"Authorization": f"Bearer {token}"})
        self._caller = caller
        self._sleep = sleep

    def close(self) -> None:
        self._http.close()
        self._caller.close()

    def fetch(self, handles: Iterable[str]) -> list[PullOutcome]:
        outcomes = []
        for handle in dict.fromkeys(h.strip().lstrip("@").lower() for h in handles if h.strip()):
            try:
                outcomes.append(self._fetch_one(handle))
            except ProviderFatal as exc:
                outcomes.append(self._fatal(handle, exc))
        return outcomes

    def _fetch_one(self, handle: str) -> PullOutcome:
        raise NotImplementedError

    def _fatal(self, handle: str, exc: ProviderFatal) -> PullOutcome:
        if exc.status == 404:
            return PullOutcome(self.platform, handle, "not_found", reason="http_404")
        return PullOutcome(self.platform, handle, "failed", reason=exc.reason_code)


class XUsersClient(SocialApiClient):
    platform = "x"

    def fetch(self, handles: Iterable[str]) -> list[PullOutcome]:
        wanted = list(dict.fromkeys(h.strip().lstrip("@").lower() for h in handles if h.strip()))
        outcomes: list[PullOutcome] = []
        for start in range(0, len(wanted), X_BATCH):
            batch = wanted[start:start + X_BATCH]
            try:
                _status, body = self._caller.call(lambda b=batch: self._get(b),  # type: ignore[misc]
                                                  records=len(batch))
            except ProviderFatal as exc:
                outcomes.extend(self._fatal(h, exc) for h in batch)
                continue
            outcomes.extend(self._outcomes(batch, body))
        return outcomes

    def _get(self, batch: list[str]) -> httpx.Response:
        response = self._http.get("/2/users/by", params={
            "usernames": ",".join(batch), "user.fields": X_USER_FIELDS})
        reset = _reset_wait(response.headers)
        if response.status_code == 429 and reset is not None:
            response.headers["Retry-After"] = f"{reset:.3f}"
        elif response.headers.get("x-rate-limit-remaining") == "0" and reset:
            self._sleep(min(reset, MAX_RESET_WAIT_S))  # window spent: wait for the reset
        return response

    def _outcomes(self, batch: list[str], body: Any) -> list[PullOutcome]:
        found = {str(u.get("username", "")).lower(): u for u in body.get("data") or []
                 if isinstance(u, dict)}
        problems: dict[str, str] = {}
        for error in body.get("errors") or []:
            value = str(error.get("value") or error.get("resource_id") or "").lower()
            text = f"{error.get('title', '')} {error.get('detail', '')}".lower()
            problems[value] = "suspended" if "suspend" in text else "not_found"
        outcomes = []
        for handle in batch:
            if handle in found:
                outcomes.append(PullOutcome("x", handle, "found", found[handle]))
            else:
                kind = problems.get(handle, "not_found")
                outcomes.append(PullOutcome("x", handle, kind, reason=f"x_{kind}"))
        return outcomes


class TikTokResearchClient(SocialApiClient):
    platform = "tiktok"

    def _fetch_one(self, handle: str) -> PullOutcome:
        _status, body = self._caller.call(
            lambda: self._http.post("/v2/research/user/info/", params={"fields": TIKTOK_FIELDS},
                                    json={"username": handle}), records=1)
        error = body.get("error") or {}
        code = str(error.get("code", "ok"))
        data = body.get("data")
        if code == "ok" and isinstance(data, dict) and data:
            return PullOutcome("tiktok", handle, "found", {"username": handle, **data})
        kind = "suspended" if "ban" in code or "suspend" in code else "not_found"
        return PullOutcome("tiktok", handle, kind, reason=f"tiktok_{code}")


class ThreadsClient(SocialApiClient):
    platform = "threads"

    def _fetch_one(self, handle: str) -> PullOutcome:
        _status, body = self._caller.call(
            lambda: self._http.get("/profile_lookup", params={"username": handle}), records=1)
        if isinstance(body, dict) and body.get("username"):
            return PullOutcome("threads", handle, "found", body)
        return PullOutcome("threads", handle, "not_found", reason="threads_empty_answer")


CLIENTS: dict[str, type[SocialApiClient]] = {
    "x": XUsersClient, "tiktok": TikTokResearchClient, "threads": ThreadsClient}


def _reset_wait(headers: httpx.Headers) -> float | None:
    """Seconds until `x-rate-limit-reset` (epoch seconds), if the header is there."""
    value = headers.get("x-rate-limit-reset")
    if not value:
        return None
    try:
        return max(0.0, float(value) - time.time())
    except ValueError:
        return None


def build_pull_client(platform: str, base_url: str, token: str, *,
                      rate_per_s: float | None = None, policy: RetryPolicy | None = None,
                      fail_max: int = 5, reset_timeout_s: float = 30.0,
                      timeout_s: float = 10.0) -> SocialApiClient:
    """A client for one platform with its own limiter, retry policy and circuit breaker."""
    caller = ResilientCaller(
        f"{platform}_api", limiter=RateLimiter(rate_per_s), policy=policy or RetryPolicy(),
        breaker=build_breaker(f"{platform}_api", fail_max=fail_max,
                              reset_timeout_s=reset_timeout_s))
    return CLIENTS[platform](base_url, token, caller, timeout_s=timeout_s)
