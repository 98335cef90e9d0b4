"""The `queue` transport: the event on a Redis stream (DigitalOcean Managed Valkey).

`XADD <stream> MAXLEN ~ <n> *` with the event's fields, made idempotent by the event id: one
Lua script, atomic on the server, adds the entry only when no earlier attempt did and returns
the stream id either way (kept for a week under `sxp:handoff:sent:<event id>`). A deliverer
killed after the XADD and run again gets the same stream id; nothing is added twice.
"""

from __future__ import annotations

from typing import Any

import psycopg
import valkey

from sxp.adapters.handoff.base import Attempt, AttemptResult

SENT_KEY_PREFIX = "sxp:handoff:sent:"
SENT_KEY_TTL_S = 7 * 86400
_XADD_ONCE = """
local id = redis.call('GET', KEYS[2])
if id then return id end
id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*',
                'event_id', ARGV[2], 'type', ARGV[3], 'batch_id', ARGV[4], 'payload', ARGV[5])
redis.call('SET', KEYS[2], id, 'EX', ARGV[6])
return id
"""


class ValkeyStreamTransport:
    name = "queue"

    def __init__(self, url: str, *, timeout_s: float = 5.0) -> None:
        self._client = valkey.Valkey.from_url(url, socket_timeout=timeout_s,
                                              socket_connect_timeout=timeout_s)
        self._script = self._client.register_script(_XADD_ONCE)

    def deliver(self, attempt: Attempt, conn: psycopg.Connection[Any]) -> AttemptResult:
        settings = attempt.delivery.settings
        event_id = attempt.delivery.event_id
        try:
            stream_id = self._script(
                keys=[settings["stream"], SENT_KEY_PREFIX + event_id],
                args=[int(settings.get("maxlen", 100_000)), event_id, attempt.event.type,
                      attempt.delivery.batch_id, attempt.body, SENT_KEY_TTL_S])
        except valkey.exceptions.ValkeyError as exc:
            return AttemptResult(status=None, error=f"valkey: {type(exc).__name__}")
        sid = stream_id.decode() if isinstance(stream_id, bytes) else str(stream_id)
        return AttemptResult(status=200, stream_id=sid)

    def close(self) -> None:
        self._client.close()  # type: ignore[no-untyped-call]
