"""uvicorn's httptools protocol with the API's error shape for the requests it refuses before
the app sees them (a bad or negative Content-Length, an over-long request line, bytes that are
not HTTP), and a deadline for a request's headers, so a client that trickles them in is
answered 408 instead of holding a connection open.

It leans on two methods of uvicorn's protocol class (`send_400_response`, the parser
callbacks); tests/integration/entrypoints/test_api_malformed.py holds them to it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from sxp.entrypoints.api.problems import Problem

_REASONS = {400: b"Bad Request", 408: b"Request Timeout"}


def problem_bytes(status: int, code: str, detail: str) -> bytes:
    title = _REASONS[status].decode()
    body = orjson.dumps(Problem(title=title, status=status, detail=detail,
                                code=code).model_dump())
    return b"".join([b"HTTP/1.1 %d %s\r\n" % (status, _REASONS[status]),
                     b"content-type: application/problem+json\r\n",
                     b"content-length: %d\r\n" % len(body), b"connection: close\r\n\r\n", body])


class SxpHttpProtocol(HttpToolsProtocol):
    """uvicorn's `http=` protocol; `header_timeout_s` is set per process (`protocol_class`,
    or the worker factory of `serve`)."""

    header_timeout_s = 10.0
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        self._disarm()
        self.transport.write(problem_bytes(400, "bad_request",
                                           f"not a valid HTTP request: {msg}"))
        self.transport.close()

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout_s, self._late)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _late(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.write(problem_bytes(
                408, "request_timeout",
                f"the request's headers did not arrive within {self.header_timeout_s:g} s"))
            self.transport.close()


def protocol_class(header_timeout_s: float) -> type[SxpHttpProtocol]:
    """The protocol with this header deadline (for a server in this process)."""
    return type("SxpHttpProtocol", (SxpHttpProtocol,), {"header_timeout_s": header_timeout_s})
