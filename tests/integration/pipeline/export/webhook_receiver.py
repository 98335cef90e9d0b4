"""A webhook receiver on loopback that verifies every request as the Standard Webhooks library
does and answers by a script (503s, 429 with Retry-After, 410, slow answers), then 204."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    webhook_id: str
    signature: str
    body: dict[str, Any]
    verified_by: list[int]  # indexes of the secrets whose signature is in the header
    status: int
    at: float


@dataclass
class Receiver:
    url: str
    secrets: list[str] = field(default_factory=list)
    script: list[str] = field(default_factory=list)  # "503", "429:2", "410", "sleep:3", "ok"
    default: str = "ok"
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_action(self) -> str:
        with self.lock:
            return self.script.pop(0) if self.script else self.default

    def ids(self) -> list[str]:
        return [r.webhook_id for r in self.received]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            raw = self.rfile.read(int(self.headers.get("content-length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            verified = []
            for i, secret in enumerate(receiver.secrets):
                try:
                    Webhook(secret).verify(raw, headers)
                    verified.append(i)
                except WebhookVerificationError:
                    pass
            action = receiver.next_action()
            slow = action.startswith("sleep:")
            status = 204 if action == "ok" or slow else int(action.split(":")[0])
            with receiver.lock:
                receiver.received.append(Received(
                    headers.get("webhook-id", ""), headers.get("webhook-signature", ""),
                    orjson.loads(raw), verified, status, time.time()))
            if slow:
                time.sleep(float(action.split(":")[1]))
            self.send_response(status)
            if action.startswith("429:"):
                self.send_header("Retry-After", action.split(":")[1])
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def receiving(**kwargs: Any) -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_placeholder)
    receiver = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks/sxp", **kwargs)
    server.RequestHandlerClass = _handler(receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


class _handler_placeholder(BaseHTTPRequestHandler):  # noqa: N801 - replaced before serving
    pass
