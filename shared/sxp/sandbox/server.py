"""A small JSON HTTP server on loopback for provider emulators (stdlib only, background thread).

A `SandboxServer` routes `(method, path)` to a handler and adds what real providers do to
clients: latency, a rate limit answered by 429, and a *fault plan* — a queue of planned
misbehaviours consumed one per request (401, 402, 422, 429 with or without Retry-After, 5xx,
slow answers, malformed JSON).
"""

from __future__ import annotations

import collections
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Fault:
    """One planned misbehaviour. `status=None` with `delay_s` is a slow success."""

    status: int | None = None
    retry_after: float | None = None
    delay_s: float = 0.0
    malformed: bool = False
    body: dict[str, Any] | None = None


FAULTS: dict[str, Fault] = {
    "401": Fault(401),
    "402": Fault(402),
    "422": Fault(422),
    "429": Fault(429),
    "429-retry-after": Fault(429, retry_after=1),
    "500": Fault(500),
    "502": Fault(502),
    "503": Fault(503),
    "slow": Fault(delay_s=2.0),
    "malformed": Fault(malformed=True),
}


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


Handler = Callable[[Request], Reply]
Authorizer = Callable[[Request], bool]
Limiter = Callable[["SandboxServer"], Reply]


class SandboxServer:
    """The running emulator: `base_url`, `calls` (per route and status), `close()`."""

    def __init__(
        self,
        routes: dict[tuple[str, str], Handler],
        *,
        authorize: Authorizer,
        fault_reply: Callable[[Fault], Reply],
        limited_reply: Callable[[float], Reply],
        port: int = 0,
        latency_s: float = 0.0,
        rate_per_s: float | None = None,
        fault_plan: Iterable[Fault | str] | None = None,
    ) -> None:
        self.routes = routes
        self.authorize = authorize
        self.fault_reply = fault_reply
        self.limited_reply = limited_reply
        self.latency_s = latency_s
        self.rate_per_s = rate_per_s
        self.calls: collections.Counter[str] = collections.Counter()
        # when the first and the latest request came (time.monotonic), for benchmarks
        self.first_call_at: float | None = None
        self.last_call_at: float | None = None
        self.credits_charged = 0
        self._faults: collections.deque[Fault] = collections.deque()
        self._window: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()
        self.plan(*(fault_plan or ()))
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="sandbox", daemon=True
        )
        self._thread.start()

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def plan(self, *faults: Fault | str) -> None:
        """Queue faults for the next requests, one per request, in order."""
        with self._lock:
            self._faults.extend(FAULTS[f] if isinstance(f, str) else f for f in faults)

    def charge(self, credits: int) -> None:
        with self._lock:
            self.credits_charged += credits

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def handle(self, request: Request) -> Reply:
        route = self.routes.get((request.method, request.path))
        if route is None:
            return Reply(404, {"error": "not found"})
        self._count(request.path)
        wait = self._rate_check()  # counted on arrival, like a provider's gateway
        if self.latency_s:
            time.sleep(self.latency_s)
        if not self.authorize(request):
            return self.fault_reply(Fault(401))
        if wait is not None:
            return self.limited_reply(wait)
        fault = self._next_fault()
        if fault is not None:
            if fault.delay_s:
                time.sleep(fault.delay_s)
            if fault.malformed:
                return Reply(200, None, raw=b'{"results": [truncated')
            if fault.status is not None:
                return self.fault_reply(fault)
        return route(request)

    def count_status(self, status: int) -> None:
        with self._lock:
            self.calls[f"status:{status}"] += 1

    def window_usage(self) -> int:
        """Requests counted in the current rate window (for rate-limit headers)."""
        with self._lock:
            return len(self._window)

    def _count(self, path: str) -> None:
        with self._lock:
            self.calls[path] += 1
            self.calls["total"] += 1
            self.last_call_at = time.monotonic()
            if self.first_call_at is None:
                self.first_call_at = self.last_call_at

    def _next_fault(self) -> Fault | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    def _rate_check(self) -> float | None:
        """Sliding one-second window; returns seconds to wait when over the limit."""
        if self.rate_per_s is None:
            return None
        now = time.monotonic()
        with self._lock:
            while self._window and now - self._window[0] >= 1.0:
                self._window.popleft()
            if len(self._window) >= self.rate_per_s:
                return 1.0 - (now - self._window[0])
            self._window.append(now)
        return None


def _make_handler(server: SandboxServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
            return  # request lines carry query strings; keep them out of any output

        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            self._serve("GET")

        def do_POST(self) -> None:  # noqa: N802 - stdlib name
            self._serve("POST")

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(length) if length else b""
            try:
                body = json.loads(data) if data else None
            except ValueError:
                body = ValueError("invalid JSON")
            request = Request(
                method,
                parts.path,
                parse_qs(parts.query),
                {k.lower(): v for k, v in self.headers.items()},
                body,
            )
            reply = server.handle(request)
            server.count_status(reply.status)
            payload = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

    return _Handler
