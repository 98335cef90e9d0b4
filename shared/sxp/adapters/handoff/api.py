"""The `api` transport: the consumer pulls. A published batch is in its listing at once
(`GET /v1/batches`), so delivering only marks it visible; its `ack` marks it acknowledged."""

from __future__ import annotations

from typing import Any

import psycopg

from sxp.adapters.handoff.base import Attempt, AttemptResult


class ApiTransport:
    name = "api"

    def deliver(self, attempt: Attempt, conn: psycopg.Connection[Any]) -> AttemptResult:
        return AttemptResult(status=200)
