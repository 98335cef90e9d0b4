"""The transport port: deliver one published batch's event to its consumer, once per call.

A transport makes one attempt and reports what happened; the deliver step decides, from the
domain's retry policy, whether the delivery is done, retried, paused or dead. Attempts of one
delivery always carry the same event id (`webhook-id`, the stream's idempotency key), so a
consumer can drop a duplicate of the at-least-once contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import psycopg

from sxp.adapters.postgres.deliveries import Delivery
from sxp.domain.handoff import BatchPublished


@dataclass(frozen=True)
class Attempt:
    delivery: Delivery
    event: BatchPublished
    body: bytes            # the event, serialized once: every attempt sends the same bytes
    number: int            # 1 for the first attempt


@dataclass(frozen=True)
class AttemptResult:
    status: int | None     # HTTP status; 200 for a transport without one; None: no answer
    error: str | None = None
    retry_after_s: float | None = None
    stream_id: str | None = None


class Transport(Protocol):
    name: str

    def deliver(self, attempt: Attempt, conn: psycopg.Connection[Any]) -> AttemptResult:
        """One attempt. `conn` is the deliverer's connection (a transport that keeps state in
        Postgres, like the file index, reads it there). Never raises for the receiver's
        failures: those are results."""
        ...
