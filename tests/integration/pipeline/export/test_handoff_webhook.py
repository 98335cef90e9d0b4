"""The webhook transport against a receiver on loopback that verifies every signature with the
Standard Webhooks library: retries (503, timeout, 429 with Retry-After), 410 pausing the
consumer, 4xx ending a delivery, secret rotation, refused targets; every attempt audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sxp.bootstrap import App
from sxp.errors import InputError
from sxp.pipeline import consumers as use
from sxp.pipeline import export as export_step
from sxp.pipeline.runner import drain

from .webhook_receiver import receiving

Seed = Callable[..., list[int]]


def _hook(app: App, url: str, **settings: Any) -> str:
    added = use.add_consumer(app, name="hooky", transport="webhook",
                             settings={"url": url, **settings})
    assert added.signing_secret is not None and added.signing_secret.startswith("whsec_")
    return added.signing_secret


def _hook_batch(app: App) -> export_step.ExportResult:
    results = {r.consumer: r for r in export_step.export(app)}
    return results["hooky"]


def _attempts(app: App) -> list[dict[str, Any]]:
    with app.connect() as conn:
        rows = conn.execute("SELECT outcome, checksum, details FROM audit.audit_log"
                            " WHERE event_type = 'delivery' AND details->>'consumer' = 'hooky'"
                            " ORDER BY id").fetchall()
    return [dict(r) for r in rows]


def _delivery(app: App, batch_id: str) -> dict[str, Any]:
    with app.connect() as conn:
        row = conn.execute("SELECT * FROM execution.deliveries WHERE batch_id = %s",
                           (batch_id,)).fetchone()
    assert row is not None
    return dict(row)


def test_signed_event_retried_through_503_timeout_and_429_then_delivered(
        handoff_app: App, seed: Seed) -> None:
    with receiving(script=["503", "sleep:1.5", "429:1", "ok"]) as rx:
        rx.secrets.append(_hook(handoff_app, rx.url, timeout_s=0.5))
        seed(3)
        seed(1, 3, execution_label="hold")
        batch = _hook_batch(handoff_app)
        drain(handoff_app, max_idle_wait_s=10)
    assert batch.record_count == 3  # `hold` is not handed over by default
    assert [r.status for r in rx.received] == [503, 204, 429, 204]
    assert set(rx.ids()) == {f"msg_{batch.batch_id}"}
    assert all(r.verified_by == [0] for r in rx.received)
    assert rx.received[3].at - rx.received[2].at >= 1.0  # Retry-After: 1 was honoured
    event = rx.received[-1].body
    assert event["type"] == "batch.published"
    assert {k: event["data"][k] for k in ("batch_id", "consumer", "sequence", "record_count",
                                          "manifest_sha256", "counts_by_execution_label")} == {
        "batch_id": batch.batch_id, "consumer": "hooky", "sequence": 1, "record_count": 3,
        "manifest_sha256": batch.manifest_sha256, "counts_by_execution_label": {"enrich_now": 3}}
    assert all(r.body == event for r in rx.received)  # the same bytes on every attempt
    delivery = _delivery(handoff_app, batch.batch_id)
    assert (delivery["state"], delivery["attempts"], delivery["last_status"]) == (
        "delivered", 4, 204)
    attempts = _attempts(handoff_app)
    assert [(a["outcome"], a["details"]["status_code"], a["details"]["attempt"])
            for a in attempts] == [("retry", 503, 1), ("retry", None, 2), ("retry", 429, 3),
                                   ("delivered", 204, 4)]
    assert all(a["checksum"] == batch.manifest_sha256 for a in attempts)
    assert attempts[1]["details"]["error"] == "timed out"
    assert attempts[2]["details"]["retry_in_s"] >= 1.0


def test_gone_pauses_the_consumer_and_resume_delivers_what_waited(
        handoff_app: App, seed: Seed) -> None:
    with receiving(script=["410"]) as rx:
        rx.secrets.append(_hook(handoff_app, rx.url))
        seed(2)
        first = _hook_batch(handoff_app)
        drain(handoff_app, max_idle_wait_s=5)
        assert use.consumer(handoff_app, "hooky").state == "paused"
        assert _delivery(handoff_app, first.batch_id)["state"] == "paused"
        seed(2, 10)
        assert {r.consumer for r in export_step.export(handoff_app)} == {"default"}
        consumer, waiting = use.resume(handoff_app, "hooky")
        assert consumer.state == "active" and waiting == 1
        second = _hook_batch(handoff_app)
        drain(handoff_app, max_idle_wait_s=5)
    assert _delivery(handoff_app, first.batch_id)["state"] == "delivered"
    assert _delivery(handoff_app, second.batch_id)["state"] == "delivered"
    assert second.record_count == 2 and second.sequence == 2
    assert [r.status for r in rx.received] == [410, 204, 204]


def test_a_client_error_ends_the_delivery_dead_after_a_few_attempts(
        handoff_app: App, seed: Seed) -> None:
    with receiving(default="400") as rx:
        rx.secrets.append(_hook(handoff_app, rx.url))
        seed(1)
        batch = _hook_batch(handoff_app)
        drain(handoff_app, max_idle_wait_s=5)
    assert len(rx.received) == 3
    delivery = _delivery(handoff_app, batch.batch_id)
    assert (delivery["state"], delivery["attempts"]) == ("dead", 3)
    assert [a["outcome"] for a in _attempts(handoff_app)] == ["retry", "retry", "dead"]
    (listed,) = use.list_deliveries(handoff_app, consumer_name="hooky", state="dead")
    with receiving() as healthy:
        with handoff_app.connect() as conn:  # the receiver moved: point the consumer at it
            conn.execute("UPDATE execution.consumers SET settings = jsonb_set(settings, '{url}',"
                         " to_jsonb(%s::text)) WHERE name = 'hooky'", (healthy.url,))
            conn.commit()
        replayed = use.replay(handoff_app, listed.id)
        assert replayed.state == "pending" and replayed.attempts == 0
        drain(handoff_app, max_idle_wait_s=5)
    assert healthy.ids() == [f"msg_{batch.batch_id}"]  # a replay keeps the event id
    assert _delivery(handoff_app, batch.batch_id)["state"] == "delivered"


def test_during_a_secret_rotation_both_signatures_are_sent(
        handoff_app: App, seed: Seed) -> None:
    with receiving() as rx:
        old = _hook(handoff_app, rx.url)
        new = use.rotate_secret(handoff_app, "hooky")
        rx.secrets.extend([old, new])
        seed(1)
        _hook_batch(handoff_app)
        drain(handoff_app, max_idle_wait_s=5)
    (received,) = rx.received
    assert received.verified_by == [0, 1] and received.signature.count("v1,") == 2


def test_loopback_private_and_plain_http_targets_are_refused_by_default(app: App) -> None:
    for url in ("http://127.0.0.1:9/hook", "https://127.0.0.1/hook", "https://10.1.2.3/h",
                "https://169.254.169.254/latest", "https://[::1]/hook"):
        with pytest.raises(InputError) as info:
            use.add_consumer(app, name="nope", transport="webhook", settings={"url": url})
        assert info.value.reason_code == "webhook_target_refused"
    with pytest.raises(InputError, match="must be an http"):
        use.add_consumer(app, name="nope", transport="webhook", settings={"url": "ftp://x"})
    assert [c.name for c in use.list_consumers(app)] == ["default"]
