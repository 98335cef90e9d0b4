"""Dependencies of the routes: the App, the calling API key and its scopes, its rate limit.

Every route but `GET /health` depends on `require(scope)`: a missing or unknown token is a 401,
a key without the scope a 403, a key past its rate a 429 with `Retry-After`. Keys are looked up
by their public id and the secret compared in constant time; a lookup is remembered for
KEY_CACHE_S, so a revocation takes effect within that time on every instance.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from sxp.adapters.postgres import api_keys as repo
from sxp.bootstrap import App
from sxp.domain.api_keys import has_scope, parse_token, secret_matches
from sxp.entrypoints.api.problems import ApiProblem

KEY_CACHE_S = 5.0
# text parameters: no NUL or control character (Postgres text cannot hold a NUL)
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"


@dataclass(frozen=True)
class Caller:
    """The API key a request came with."""

    id: int
    name: str
    scopes: tuple[str, ...]
    consumer_id: int | None = None  # a consumer's key: its batches only

    def may(self, scope: str) -> bool:
        return has_scope(list(self.scopes), scope)


def get_app(request: Request) -> App:
    app: App = request.app.state.sxp
    return app


class KeyCheck:
    """Looks tokens up (cached briefly) and keeps each key's token bucket."""

    def __init__(self, app: App) -> None:
        self._app = app
        self._cache: dict[str, tuple[float, repo.ApiKey | None]] = {}
        self._buckets: dict[int, tuple[float, float]] = {}
        self._lock = threading.Lock()

    async def caller_async(self, authorization: str | None) -> Caller:
        """`caller` on the event loop: a cached key costs no thread; a lookup runs on one."""
        parsed = self._parse(authorization)
        cached = self._cached(parsed[0])
        if cached is not None:
            return self._admit(cached[1], parsed[1])
        return await run_in_threadpool(self.caller, authorization)

    def caller(self, authorization: str | None) -> Caller:
        key_id, secret = self._parse(authorization)
        return self._admit(self._lookup(key_id), secret)

    @staticmethod
    def _parse(authorization: str | None) -> tuple[str, str]:
        scheme, _, token = (authorization or "").partition(" ")
        parsed = parse_token(token.strip()) if scheme.lower() == "bearer" else None
        if parsed is None:
            raise ApiProblem(401, "unauthorized", "send 'Authorization: Bearer <token>' with a"
                             " key from 'sxp keys create'", {"WWW-Authenticate": "Bearer"})
        return parsed

    def _admit(self, key: repo.ApiKey | None, secret: str) -> Caller:
        if key is None or key.revoked_at is not None or not secret_matches(
                secret, key.secret_sha256):
            raise ApiProblem(401, "unauthorized", "the token is not a valid key",
                             {"WWW-Authenticate": "Bearer"})
        self._take(key.id)
        return Caller(key.id, key.name, tuple(key.scopes), key.consumer_id)

    def _cached(self, key_id: str) -> tuple[float, repo.ApiKey | None] | None:
        with self._lock:
            cached = self._cache.get(key_id)
        return cached if cached is not None and time.monotonic() - cached[0] < KEY_CACHE_S \
            else None

    def _lookup(self, key_id: str) -> repo.ApiKey | None:
        cached = self._cached(key_id)
        if cached is not None:
            return cached[1]
        now = time.monotonic()
        with self._app.pooled() as conn:
            key = repo.by_key_id(conn, key_id)
            if key is not None and key.revoked_at is None:
                repo.touch(conn, key.id)
            conn.commit()
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key_id] = (now, key)
        return key

    def _take(self, key: int) -> None:
        """Token bucket per key: SXP_API_RATE_PER_S sustained, SXP_API_RATE_BURST at once."""
        rate, burst = self._app.settings.api_rate_per_s, float(self._app.settings.api_rate_burst)
        now = time.monotonic()
        with self._lock:
            level, at = self._buckets.get(key, (burst, now))
            level = min(burst, level + (now - at) * rate)
            if level < 1.0:
                self._buckets[key] = (level, now)
                wait = math.ceil((1.0 - level) / rate)
                raise ApiProblem(429, "rate_limited",
                                 f"more than {rate:g} requests/s for this key",
                                 {"Retry-After": str(max(wait, 1))})
            self._buckets[key] = (level - 1.0, now)


def require(scope: str) -> Callable[..., Awaitable[Caller]]:
    """A dependency: the calling key, which must hold `scope`."""

    async def check(request: Request) -> Caller:
        keys: KeyCheck = request.app.state.keys
        caller = await keys.caller_async(request.headers.get("authorization"))
        if not caller.may(scope):
            raise ApiProblem(403, "forbidden", f"this key lacks the '{scope}' scope")
        return caller

    check.__name__ = f"require_{scope.replace(':', '_')}"
    return check
