"""The `file` transport: the consumer reads the bucket.

Every batch's bundle is already under `exports/<env>/<consumer>/<yyyy>/<mm>/<dd>/<batch_id>/`
(all transports share it). Delivering adds the batch to the consumer's index objects, which
stay small however long the consumer lives:
- `exports/<env>/<consumer>/index/<yyyy>/<mm>/<dd>.json`: that day's batches, in order;
- `exports/<env>/<consumer>/head.json`: the newest batches and the list of days that have any.
A consumer reads the head; to catch up from a batch it no longer sees there, it reads the day
objects from that batch's day on. Both are rebuilt from Postgres under the consumer's lock, so
a delivery run twice, or two deliverers at once, write the same objects.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import psycopg

from sxp.adapters.handoff.base import Attempt, AttemptResult
from sxp.adapters.objectstore.base import ObjectStore
from sxp.adapters.postgres import exports
from sxp.domain.handoff import HEAD_ENTRIES, DayIndex, IndexHead


def consumer_prefix(exports_prefix: str, env: str, consumer: str) -> str:
    return f"{exports_prefix}{env}/{consumer}/"


def head_key(exports_prefix: str, env: str, consumer: str) -> str:
    return consumer_prefix(exports_prefix, env, consumer) + "head.json"


def day_key(exports_prefix: str, env: str, consumer: str, day: date) -> str:
    return consumer_prefix(exports_prefix, env, consumer) + f"index/{day:%Y/%m/%d}.json"


class FileTransport:
    name = "file"

    def __init__(self, store: ObjectStore, exports_prefix: str, env: str) -> None:
        self.store, self.prefix, self.env = store, exports_prefix, env

    def deliver(self, attempt: Attempt, conn: psycopg.Connection[Any]) -> AttemptResult:
        delivery = attempt.delivery
        day = delivery.batch_created_at.astimezone(UTC).date()
        with conn.transaction():
            exports.lock_consumer_index(conn, delivery.consumer_id)
            todays = exports.index_entries(conn, delivery.consumer_id, day=day)
            latest = exports.index_entries(conn, delivery.consumer_id, latest=HEAD_ENTRIES)
            days = exports.batch_days(conn, delivery.consumer_id)
            index = DayIndex(consumer=delivery.consumer, day=day.isoformat(), manifests=todays)
            self._put(day_key(self.prefix, self.env, delivery.consumer, day),
                      index.model_dump_json(indent=2).encode())
            head = IndexHead(consumer=delivery.consumer, updated_at=datetime.now(UTC),
                             latest=latest, days=days)
            self._put(head_key(self.prefix, self.env, delivery.consumer),
                      head.model_dump_json(indent=2).encode())
        return AttemptResult(status=200)

    def _put(self, key: str, body: bytes) -> None:
        self.store.put_bytes(key, body, content_type="application/json")
