"""The api transport over HTTP: a consumer's key lists its batches by cursor, fetches the
manifest with an ETag, downloads the files from short-lived links and acknowledges; it sees
no other consumer's batches; admins manage consumers and the outbox."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

import httpx
import pytest

from sxp.bootstrap import App
from sxp.entrypoints.keys import create_key
from sxp.pipeline import consumers as use
from sxp.pipeline import export as export_step
from sxp.pipeline.runner import drain


def _seed(app: App, n: int, start: int = 0) -> None:
    with app.connect() as conn:
        for i in range(start, start + n):
            conn.execute(
                "WITH p AS (INSERT INTO social.raw_social_profiles (platform, handle, scraped_at,"
                " content_hash) VALUES ('x', %s, now(), 'h') RETURNING id)"
                " INSERT INTO execution.lead_cards (profile_id, platform, handle, profile_hash,"
                " readiness, readiness_score, base_confidence, execution_label, labeled_at,"
                " enrich_state) SELECT id, 'x', %s, 'h', 'ready', 0.5, 0.5, 'export_only',"
                " now(), 'ineligible' FROM p", (f"api_{i}", f"api_{i}"))
        conn.commit()


@pytest.fixture
def as_key(base_url: str) -> Iterator[Callable[[str], httpx.Client]]:
    """A client sending a token (closed after the test)."""
    clients: list[httpx.Client] = []

    def _client(token: str) -> httpx.Client:
        clients.append(httpx.Client(base_url=base_url, timeout=10,
                                    headers={"Authorization": f"Bearer {token}"}))
        return clients[-1]

    yield _client
    for client in clients:
        client.close()


def test_a_consumer_pulls_its_batches_by_cursor_etag_links_and_ack(
        app: App, as_key: Callable[[str], httpx.Client]) -> None:
    use.add_consumer(app, name="puller", transport="api", settings={})
    use.add_consumer(app, name="other", transport="api", settings={})
    mine = as_key(create_key(app, "puller-key", ["batches:read"], consumer="puller"))
    theirs = as_key(create_key(app, "other-key", ["batches:read"], consumer="other"))
    unbound = as_key(create_key(app, "unbound", ["batches:read"]))
    _seed(app, 2)
    first = {r.consumer: r for r in export_step.export(app)}["puller"]
    _seed(app, 1, 10)
    second = {r.consumer: r for r in export_step.export(app)}["puller"]
    drain(app, max_idle_wait_s=2)

    page = mine.get("/v1/batches", params={"limit": 1}).json()
    assert [b["id"] for b in page["batches"]] == [first.batch_id]
    rest = mine.get("/v1/batches", params={"after": page["next_cursor"]}).json()
    assert [(b["id"], b["sequence"], b["previous_batch_id"], b["record_count"])
            for b in rest["batches"]] == [(second.batch_id, 2, first.batch_id, 1)]
    empty = mine.get("/v1/batches", params={"after": rest["next_cursor"]}).json()
    assert empty == {"batches": [], "next_cursor": rest["next_cursor"]}
    assert mine.get("/v1/batches", params={"after": "bogus!"}).status_code == 400

    manifest = mine.get(f"/v1/batches/{first.batch_id}")
    assert manifest.status_code == 200
    assert hashlib.sha256(manifest.content).hexdigest() == first.manifest_sha256
    etag = manifest.headers["etag"]
    assert etag == f'"{first.manifest_sha256}"'
    cached = mine.get(f"/v1/batches/{first.batch_id}", headers={"If-None-Match": etag})
    assert cached.status_code == 304 and cached.content == b""

    links = mine.get(f"/v1/batches/{first.batch_id}/files").json()
    assert {f["path"] for f in links["files"]} == {
        "manifest.json", "lead_cards.jsonl.gz", "versions.jsonl", "dnc.jsonl", "handoff.json"}
    assert links["expires_at"]
    for f in links["files"]:
        body = httpx.get(f["url"]).content  # presigned: no key needed
        assert hashlib.sha256(body).hexdigest() == f["sha256"]

    for _ in range(2):  # idempotent
        acked = mine.post(f"/v1/batches/{first.batch_id}/ack").json()
        assert acked["state"] == "acknowledged" and acked["acknowledged_at"]
    listed = mine.get("/v1/batches").json()["batches"]
    assert [b["delivery_state"] for b in listed] == ["acknowledged", "delivered"]

    assert theirs.get(f"/v1/batches/{first.batch_id}").status_code == 404
    assert theirs.post(f"/v1/batches/{first.batch_id}/ack").status_code == 404
    assert [b["record_count"] for b in theirs.get("/v1/batches").json()["batches"]] == [2, 1]
    assert unbound.get("/v1/batches").status_code == 403
    assert mine.get("/v1/batches", params={"consumer": "other"}).status_code == 400


def test_admins_manage_consumers_and_replay_deliveries(
        app: App, as_key: Callable[[str], httpx.Client], token: Callable[..., str]) -> None:
    admin = as_key(token("admin"))
    made = admin.post("/v1/consumers", json={"name": "crm", "transport": "api",
                                             "execution_labels": ["export_only"]})
    assert made.status_code == 201 and made.json()["execution_labels"] == ["export_only"]
    assert admin.post("/v1/consumers", json={"name": "crm", "transport": "api"}
                      ).status_code == 409
    bad = admin.post("/v1/consumers", json={"name": "hook", "transport": "webhook",
                                            "settings": {"url": "https://127.0.0.1/x"}})
    assert bad.status_code == 400 and bad.json()["code"] == "webhook_target_refused"
    assert admin.post("/v1/consumers/crm/pause").json()["state"] == "paused"
    resumed = admin.post("/v1/consumers/crm/resume").json()
    assert resumed["state"] == "active" and resumed["deliveries_resumed"] == 0
    assert {c["name"] for c in admin.get("/v1/consumers").json()} == {"default", "crm"}
    assert "secrets" not in admin.get("/v1/consumers/crm").json()
    _seed(app, 1)
    export_step.export(app)
    drain(app, max_idle_wait_s=2)
    deliveries = admin.get("/v1/deliveries", params={"consumer": "crm"}).json()
    assert [d["state"] for d in deliveries] == ["delivered"]
    replayed = admin.post(f"/v1/deliveries/{deliveries[0]['id']}/replay").json()
    assert replayed["state"] == "pending"
    assert admin.post("/v1/deliveries/999999/replay").status_code == 404
    assert admin.delete("/v1/consumers/crm").json()["state"] == "removed"
    assert admin.get("/v1/consumers/nope").status_code == 404


def test_admins_request_an_erasure_and_follow_it(
        app: App, as_key: Callable[[str], httpx.Client], token: Callable[..., str]) -> None:
    admin = as_key(token("admin"))
    _seed(app, 1)
    made = admin.post("/v1/erasures", json={"handle": "x:api_0"})
    assert made.status_code == 202 and made.json()["cards"] == 1
    drain(app, kinds=["erase"], max_idle_wait_s=2)
    status = admin.get(made.json()["status_url"]).json()
    assert status["state"] == "done" and status["removed"]["tier3_cards"] == 1
    for body in ({}, {"handle": "x:a", "email": "a@b.co"}, {"phone": "12"}):
        assert admin.post("/v1/erasures", json=body).status_code == 400
    assert admin.get("/v1/erasures/999").status_code == 404
    assert as_key(token("batches:read")).post("/v1/erasures", json={"email": "a@b.co"}
                                              ).status_code == 403
