"""The `webhook` transport: a signed POST of the thin `batch.published` event.

Signed as the Standard Webhooks specification says (`webhook-id`, `webhook-timestamp`,
`webhook-signature` with `v1,<base64 HMAC-SHA256>`), with the `standardwebhooks` library;
while a secret rotation runs, the header carries both signatures. The target's addresses are
resolved and checked before every attempt: no loopback, link-local or private address unless
the environment allows them. Redirects are not followed.
"""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg
from standardwebhooks.webhooks import Webhook

from sxp.adapters.handoff.base import Attempt, AttemptResult
from sxp.adapters.postgres import consumers
from sxp.domain.consumers import address_refused
from sxp.errors import InputError

USER_AGENT = "sxp-handoff/1"


class WebhookTransport:
    name = "webhook"

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._client = httpx.Client(follow_redirects=False, trust_env=False,
                                    headers={"user-agent": USER_AGENT})

    def deliver(self, attempt: Attempt, conn: psycopg.Connection[Any]) -> AttemptResult:
        settings = attempt.delivery.settings
        url = str(settings["url"])
        refused = target_refused(url, allow_private=self.allow_private)
        if refused is not None:
            return AttemptResult(status=None, error=f"target refused: {refused}")
        secrets = consumers.signing_secrets(conn, attempt.delivery.consumer_id)
        conn.commit()
        if not secrets:
            return AttemptResult(status=None, error="the consumer has no signing secret")
        headers = signed_headers(attempt.delivery.event_id, attempt.body, secrets)
        try:
            response = self._client.post(url, content=attempt.body, headers=headers,
                                         timeout=float(settings.get("timeout_s", 10.0)))
        except httpx.TimeoutException:
            return AttemptResult(status=None, error="timed out")
        except httpx.HTTPError as exc:
            return AttemptResult(status=None, error=f"{type(exc).__name__}")
        ok = 200 <= response.status_code < 300
        return AttemptResult(status=response.status_code,
                             error=None if ok else f"HTTP {response.status_code}",
                             retry_after_s=retry_after_s(response.headers.get("retry-after")))

    def close(self) -> None:
        self._client.close()


def signed_headers(event_id: str, body: bytes, secrets: list[str],
                   now: datetime | None = None) -> dict[str, str]:
    moment = now or datetime.now(UTC)
    text = body.decode()
    signatures = " ".join(Webhook(secret).sign(event_id, moment, text) for secret in secrets)
    return {"webhook-id": event_id, "webhook-timestamp": str(int(moment.timestamp())),
            "webhook-signature": signatures, "content-type": "application/json"}


def target_refused(url: str, *, allow_private: bool) -> str | None:
    """Why the URL may not be a webhook target now (its host resolves to a refused address)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "not an http(s) URL"
    if parts.scheme == "http" and not allow_private:
        return "plain http (use https)"
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except OSError:
        return "its host does not resolve"
    for info in infos:
        why = address_refused(str(info[4][0]), allow_private=allow_private)
        if why is not None:
            return f"{parts.hostname} is {why}"
    return None


def check_target(url: str, *, allow_private: bool) -> None:
    """Refuse a consumer's webhook URL when it is added (it is checked again on delivery)."""
    refused = target_refused(url, allow_private=allow_private)
    if refused is not None:
        raise InputError(f"webhook URL refused: {refused}", "webhook_target_refused")


def retry_after_s(value: str | None) -> float | None:
    """`Retry-After` in seconds (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # a receiver's '²' is no delay (float() refuses it)
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)
