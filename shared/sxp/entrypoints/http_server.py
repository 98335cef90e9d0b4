"""A small threaded HTTP server (stdlib) that hands each request to an event handler.

Each request becomes an API Gateway HTTP API (v2) event, so the container serves exactly the
routes the functions serve. No extra web framework is needed in the image.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from sxp.logs import get_logger

log = get_logger("http")

EventHandler = Callable[[dict[str, Any]], dict[str, Any]]


class HttpServer:
    def __init__(self, server: ThreadingHTTPServer) -> None:
        self._server = server
        self._closing = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=server.serve_forever, name="sxp-http",
                                        daemon=True)
        self._thread.start()
        host, port = server.server_address[:2]
        self.base_url = f"http://{host!s}:{port}"

    def wait(self) -> None:
        self._thread.join()

    def close(self) -> None:
        with self._closing:
            if self._closed:
                return
            self._closed = True
            self._server.shutdown()
            self._server.server_close()
        self._thread.join()


def start_http_server(handle: EventHandler, host: str, port: int, *,
                      max_body_bytes: int) -> HttpServer:
    """Start serving in a background thread; `port=0` picks a free port."""
    from sxp.entrypoints.api import http_event

    class Handler(BaseHTTPRequestHandler):
        server_version = "sxp"
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > max_body_bytes:
                self._reply({"statusCode": 413, "headers": {"Content-Type": "application/json"},
                             "body": '{"error": "too_large", "message": "body too large"}'})
                self.close_connection = True
                return
            body = self.rfile.read(length) if length else b""
            url = urlsplit(self.path)
            event = http_event(self.command, url.path, query=url.query,
                               headers=dict(self.headers.items()), body=body)
            self._reply(handle(event))

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve  # noqa: N815

        def _reply(self, response: dict[str, Any]) -> None:
            body = response.get("body") or ""
            data = base64.b64decode(body) if response.get("isBase64Encoded") else \
                (body.encode() if isinstance(body, str) else bytes(body))
            self.send_response(int(response.get("statusCode", 200)))
            for name, value in (response.get("headers") or {}).items():
                self.send_header(name, str(value))
            for cookie in response.get("cookies") or []:
                self.send_header("Set-Cookie", str(cookie))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            log.info("http request", extra={"method": self.command,
                                            "path": urlsplit(self.path).path,
                                            "status": args[1] if len(args) > 1 else None})

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return HttpServer(server)
