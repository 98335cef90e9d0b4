"""Requests the HTTP server refuses before the app sees them, and clients that stall: each is
answered with a problem document (never a traceback, an HTML page or a held connection)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator

import pytest

from sxp.bootstrap import App

from .api_server import serving


@pytest.fixture
def quick(api_app: App) -> Iterator[str]:
    """The API with short header and body deadlines."""
    api_app.settings.api_header_timeout_s = 1.0
    api_app.settings.api_read_timeout_s = 1.0
    with serving(api_app) as url:
        yield url


def _exchange(base: str, data: bytes, wait_s: float = 5.0) -> tuple[int, dict[str, object]]:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=wait_s) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    assert b"application/problem+json" in head.lower(), answer[:300]
    return status, json.loads(body)


@pytest.mark.parametrize("request_bytes", [
    b"POST /v1/imports HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    b"POST /v1/imports HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"\x00\x01\x02 not http\r\n\r\n",
], ids=["negative-length", "bad-length", "long-request-line", "not-http"])
def test_malformed_requests_get_a_400_problem(quick: str, request_bytes: bytes) -> None:
    status, body = _exchange(quick, request_bytes)
    assert status == 400 and body["code"] == "bad_request" and body["status"] == 400


def test_trace_and_options_get_405_problems(quick: str) -> None:
    for method in (b"TRACE", b"OPTIONS"):
        status, body = _exchange(quick, method + b" /v1/cards HTTP/1.1\r\nHost: x\r\n"
                                 b"Connection: close\r\n\r\n")
        assert status == 405 and body["code"] == "method_not_allowed"


def test_headers_that_trickle_in_are_cut_off_with_408(quick: str) -> None:
    started = time.monotonic()
    status, body = _exchange(quick, b"GET /health HTTP/1.1\r\nHost: x\r\n")  # never ends
    assert status == 408 and body["code"] == "request_timeout"
    assert 0.8 < time.monotonic() - started < 4


def test_a_body_that_stalls_is_cut_off_and_leaves_nothing(app: App, quick: str,
                                                          token: Callable[..., str]) -> None:
    key = token("imports:write")
    status, body = _exchange(quick, (
        "POST /v1/imports HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
        f"Authorization: Bearer {key}\r\nConnection: close\r\n\r\n").encode() + b"x" * 10)
    assert status == 408 and body["code"] == "request_timeout"
    assert not list(app.store.list("uploads/")) and not list(app.store.list("inbox/"))
