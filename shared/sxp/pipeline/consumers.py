"""Consumers and their deliveries, managed: what `sxp consumers …`, `sxp deliveries …` and the
admin API routes call.

Adding a webhook consumer creates its signing secret and returns it once (Postgres keeps it:
the deliverer signs with it). Pausing stops deliveries (a delivery met while paused waits as
`paused`); resuming sends every waiting one. Removing keeps the consumer's history.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import Any

from sxp.adapters.postgres import consumers as repo
from sxp.adapters.postgres import deliveries
from sxp.adapters.postgres.consumers import Consumer
from sxp.adapters.postgres.deliveries import Delivery
from sxp.bootstrap import App
from sxp.domain.consumers import check_labels, check_name, check_settings
from sxp.errors import InputError
from sxp.pipeline.deliver import schedule_attempt


@dataclass(frozen=True)
class Added:
    consumer: Consumer
    signing_secret: str | None  # webhook consumers: shown once


def new_signing_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def add_consumer(app: App, *, name: str, transport: str, settings: dict[str, Any],
                 execution_labels: list[str] | None = None,
                 audience_pools: list[str] | None = None,
                 include_contact: bool = True) -> Added:
    try:
        name = check_name(name)
        checked = check_settings(transport, settings)
        labels, pools = check_labels(execution_labels), check_labels(audience_pools)
    except ValueError as exc:
        raise InputError(str(exc), "bad_consumer") from None
    if transport == "webhook":
        from sxp.adapters.handoff.webhook import check_target

        check_target(checked["url"], allow_private=app.settings.webhook_allow_private)
    if transport == "queue":
        app.settings.valkey_dsn()  # refuse early where no Valkey is configured
    secret = new_signing_secret() if transport == "webhook" else None
    with app.connect() as conn, conn.transaction():
        added = repo.add(conn, name=name, transport=transport, settings=checked,
                         execution_labels=labels, audience_pools=pools,
                         include_contact=include_contact, secret=secret)
    if added is None:
        raise InputError(f"a consumer named {name!r} exists already", "consumer_exists")
    return Added(added, secret)


def consumer(app: App, name: str) -> Consumer:
    with app.connect() as conn:
        found = repo.by_name(conn, name)
    if found is None:
        raise InputError(f"no consumer is named {name!r}", "unknown_consumer")
    return found


def list_consumers(app: App, *, include_removed: bool = False) -> list[Consumer]:
    with app.connect() as conn:
        return repo.listed(conn, include_removed=include_removed)


def pause(app: App, name: str, reason: str = "paused by an operator") -> Consumer:
    with app.connect() as conn, conn.transaction():
        changed = repo.set_state(conn, name, "paused", reason)
    if changed is None:
        raise InputError(f"no consumer is named {name!r}", "unknown_consumer")
    return changed


def resume(app: App, name: str) -> tuple[Consumer, int]:
    """The consumer, and how many waiting deliveries were sent again."""
    with app.connect() as conn, conn.transaction():
        changed = repo.set_state(conn, name, "active")
        if changed is None:
            raise InputError(f"no consumer is named {name!r}", "unknown_consumer")
        waiting = deliveries.paused_of(conn, changed.id)
        for delivery_id in waiting:
            schedule_attempt(conn, delivery_id)
    return changed, len(waiting)


def remove(app: App, name: str) -> Consumer:
    with app.connect() as conn, conn.transaction():
        changed = repo.set_state(conn, name, "removed", "removed by an operator")
    if changed is None:
        raise InputError(f"no consumer is named {name!r}", "unknown_consumer")
    return changed


def rotate_secret(app: App, name: str) -> str:
    """A new signing secret (shown once); the old one signs too for the overlap."""
    secret = new_signing_secret()
    with app.connect() as conn, conn.transaction():
        if not repo.rotate_secret(conn, name, secret, app.settings.webhook_rotation_overlap_s):
            raise InputError(f"no webhook consumer is named {name!r}", "unknown_consumer")
    return secret


def list_deliveries(app: App, *, consumer_name: str | None = None, state: str | None = None,
                    limit: int = 100) -> list[Delivery]:
    with app.connect() as conn:
        return deliveries.listed(conn, consumer=consumer_name, state=state, limit=limit)


def replay(app: App, delivery_id: int) -> Delivery:
    """Deliver again from the first attempt (same event id: receivers can tell)."""
    with app.connect() as conn, conn.transaction():
        if not deliveries.replay(conn, delivery_id):
            raise InputError(f"no delivery has id {delivery_id}", "unknown_delivery")
        schedule_attempt(conn, delivery_id)
        found = deliveries.get(conn, delivery_id)
    assert found is not None
    return found


def describe(c: Consumer) -> dict[str, Any]:
    """A consumer as the CLI and the API show it (never its secrets)."""
    return {"name": c.name, "transport": c.transport, "settings": c.settings,
            "execution_labels": c.execution_labels, "audience_pools": c.audience_pools,
            "include_contact": c.include_contact, "state": c.state,
            "state_reason": c.state_reason, "batches": c.batch_count,
            "created_at": c.created_at.isoformat(),
            "rotation_ends_at": c.rotation_ends_at.isoformat() if c.rotation_ends_at else None}


def describe_delivery(d: Delivery) -> dict[str, Any]:
    return {"id": d.id, "consumer": d.consumer, "transport": d.transport,
            "batch_id": d.batch_id, "sequence": d.sequence, "state": d.state,
            "attempts": d.attempts, "event_id": d.event_id, "last_status": d.last_status,
            "last_error": d.last_error, "stream_id": d.stream_id,
            "record_count": d.record_count, "withdrawal_count": d.withdrawal_count,
            "created_at": d.created_at.isoformat(),
            "next_attempt_at": d.next_attempt_at.isoformat() if d.next_attempt_at else None,
            "delivered_at": d.delivered_at.isoformat() if d.delivered_at else None,
            "acknowledged_at": d.acknowledged_at.isoformat() if d.acknowledged_at else None}
