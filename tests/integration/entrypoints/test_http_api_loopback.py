"""The HTTP API over real HTTP on loopback (uvicorn), on real Postgres and moto S3."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from sxp.bootstrap import App, bootstrap
from sxp.config import Settings
from sxp.pipeline.scan import scan

PROBLEM = "application/problem+json"


def _problem(resp: httpx.Response, status: int, code: str) -> None:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    body = resp.json()
    assert body["status"] == status and body["code"] == code and body["detail"]
    assert "/work" not in resp.text and "/tmp" not in resp.text and "Traceback" not in resp.text


def test_health_needs_no_key_and_everything_else_does(base_url: str) -> None:
    health = httpx.get(f"{base_url}/health")
    assert health.status_code == 200 and health.json() == {"status": "ok", "env": "test"}
    for method, path in (("GET", "/v1/status"), ("POST", "/v1/imports"), ("GET", "/v1/cards"),
                         ("GET", "/v1/cards/1"), ("GET", "/v1/imports/1"),
                         ("GET", "/v1/jobs"), ("POST", "/v1/jobs/1/retry"),
                         ("POST", "/v1/gate/dry-run"), ("GET", "/v1/exports"),
                         ("GET", "/v1/batches"), ("POST", "/v1/batches/b/ack"),
                         ("GET", "/v1/consumers"), ("GET", "/v1/deliveries")):
        resp = httpx.request(method, f"{base_url}{path}")
        _problem(resp, 401, "unauthorized")
        assert resp.headers["www-authenticate"] == "Bearer"
    bad = httpx.get(f"{base_url}/v1/status", headers={"Authorization": "Bearer sxp_nope"})
    _problem(bad, 401, "unauthorized")


def test_scopes_revocation_and_rate_limit(app: App, api_app: App, base_url: str,
                                          token: Callable[..., str]) -> None:
    from sxp.entrypoints.api import deps
    from sxp.entrypoints.keys import revoke_key

    reader = {"Authorization": f"Bearer {token('cards:read')}"}
    assert httpx.get(f"{base_url}/v1/cards", headers=reader).status_code == 200
    _problem(httpx.get(f"{base_url}/v1/status", headers=reader), 403, "forbidden")
    _problem(httpx.post(f"{base_url}/v1/jobs/1/retry", headers=reader), 403, "forbidden")
    revoke_key(app, "test-0")
    deps.KEY_CACHE_S, cache = 0.0, deps.KEY_CACHE_S
    try:
        _problem(httpx.get(f"{base_url}/v1/cards", headers=reader), 401, "unauthorized")
    finally:
        deps.KEY_CACHE_S = cache
    api_app.settings.api_rate_per_s, api_app.settings.api_rate_burst = 1.0, 5
    burst = {"Authorization": f"Bearer {token('cards:read')}"}
    with httpx.Client(base_url=base_url, headers=burst) as http:
        codes = [http.get("/v1/cards", params={"limit": 1}).status_code for _ in range(10)]
        assert codes.count(429) >= 1 and codes[0] == 200
        limited = next(r for r in (http.get("/v1/cards") for _ in range(20))
                       if r.status_code == 429)
    _problem(limited, 429, "rate_limited")
    assert int(limited.headers["retry-after"]) >= 1


def test_upload_streams_into_the_inbox_with_a_key_of_its_own(app: App,
                                                             client: httpx.Client) -> None:
    rows = b'{"platform": "x", "username": "synthetic_one"}\n'
    first = client.post("/v1/imports", params={"platform": "x", "format": "jsonl",
                                               "filename": "drop-1.jsonl"}, content=rows)
    assert first.status_code == 202, first.text
    body = first.json()
    assert body["key"].startswith("inbox/platform=x/format=jsonl/")
    assert body["key"].endswith("-drop-1.jsonl") and not body["duplicate"]
    assert app.store.get_bytes(body["key"]) == rows
    other = client.post("/v1/imports", params={"filename": "drop-1.jsonl"},
                        content=rows.replace(b"one", b"two"))
    assert other.status_code == 202 and other.json()["key"] != body["key"]  # no overwrite
    again = client.post("/v1/imports", params={"filename": "renamed.jsonl"}, content=rows)
    assert again.status_code == 200 and again.json()["duplicate"]
    assert again.json()["id"] == body["id"] and again.json()["key"] == body["key"]

    def chunks() -> object:
        for n in range(50):
            yield f'{{"username": "chunk_{n}"}}\n'.encode()

    chunked = client.post("/v1/imports", content=chunks())  # chunked transfer encoding
    assert chunked.status_code == 202 and chunked.json()["size_bytes"] > 0
    assert chunked.json()["key"].endswith("-import.jsonl")
    assert not list(app.store.list("uploads/"))  # the staging copies are gone


def test_import_status_follows_the_file_through_ingest(app: App, client: httpx.Client) -> None:
    from sxp.pipeline.runner import drain

    rows = b'{"platform": "x", "username": "good_one"}\n{"platform": "x"}\n'
    receipt = client.post("/v1/imports", params={"filename": "st.jsonl"}, content=rows).json()
    before = client.get(f"/v1/imports/{receipt['id']}").json()
    assert before["state"] == "registered" and before["rows_read"] == 0
    scan(app)
    drain(app, kinds=["ingest"])
    by_id = client.get(f"/v1/imports/{receipt['id']}").json()
    by_key = client.get(f"/v1/imports/{receipt['key']}").json()
    assert by_id == by_key
    assert by_id["state"] == "ingested" and by_id["rows_read"] == 2
    assert by_id["rows_loaded"] == 1 and by_id["rows_rejected"] == 1
    assert by_id["rejects_url"].startswith("http://127.0.0.1")  # presigned on S3
    assert httpx.get(by_id["rejects_url"]).status_code == 200
    _problem(client.get("/v1/imports/999999"), 404, "not_found")
    # digits str.isdigit takes and int() refuses (schemathesis found '³0'): a key, not found
    _problem(client.get("/v1/imports/%C2%B30"), 404, "not_found")


@pytest.mark.parametrize(("params", "body", "status", "code"), [
    ({}, b"", 400, "empty_body"),
    ({"platform": "myspace"}, b"x", 400, "bad_request"),
    ({"format": "xml"}, b"x", 400, "bad_request"),
    ({"filename": "../escape.jsonl"}, b"x", 400, "bad_request"),
])
def test_bad_imports_get_a_problem(client: httpx.Client, params: dict[str, str], body: bytes,
                                   status: int, code: str) -> None:
    _problem(client.post("/v1/imports", params=params, content=body), status, code)


def test_an_upload_past_the_limit_is_refused_and_leaves_nothing(
        app: App, api_app: App, client: httpx.Client) -> None:
    api_app.settings.api_max_upload_bytes = 1000
    _problem(client.post("/v1/imports", content=b"x" * 5000), 413, "too_large")
    assert not list(app.store.list("inbox/")) and not list(app.store.list("uploads/"))


def test_cards_pages_filters_and_detail(app: App, client: httpx.Client,
                                        seed_ready_card: Callable[[], None],
                                        token: Callable[..., str]) -> None:
    seed_ready_card()
    page = client.get("/v1/cards", params={"limit": 1}).json()
    assert len(page["cards"]) == 1 and page["next_page_token"] is None
    card = page["cards"][0]
    assert card["handle"] == "synthetic_api" and card["execution_label"] == "export_only"
    assert client.get("/v1/cards", params={"execution_label": "enrich_now"}).json()["cards"] == []
    _problem(client.get("/v1/cards", params={"page_token": "garbage!"}), 400, "bad_page_token")
    _problem(client.get("/v1/cards", params={"limit": 0}), 400, "bad_request")
    # found by the API fuzz: a NUL cannot reach Postgres as text (it was a 500)
    _problem(client.get("/v1/cards", params={"execution_label": "a\x00b"}), 400, "bad_request")
    _problem(client.get("/v1/imports/a%00b"), 400, "bad_request")
    detail = client.get(f"/v1/cards/{card['id']}").json()
    assert detail["scores"]["readiness"] == "ready" and detail["labels"]["rules_fired"] == []
    assert detail["enrichment"]["state"] == "ineligible" and detail["contacts"] == []
    no_contacts = httpx.get(f"{client.base_url}/v1/cards/{card['id']}",
                            headers={"Authorization": f"Bearer {token('cards:read')}"}).json()
    assert no_contacts["contacts"] is None  # Tier 2 only with contacts:read
    _problem(client.get("/v1/cards/424242"), 404, "not_found")


def test_cursor_pages_through_every_card_once(app: App, client: httpx.Client) -> None:
    with app.connect() as conn:
        conn.execute(
            "WITH p AS (INSERT INTO social.raw_social_profiles (platform, handle, scraped_at,"
            " content_hash) SELECT 'x', 'h' || g, now(), 'h' FROM generate_series(1, 25) g"
            " RETURNING id, handle)"
            " INSERT INTO execution.lead_cards (profile_id, platform, handle, profile_hash,"
            " readiness, readiness_score, base_confidence) SELECT id, 'x', handle, 'h',"
            " 'ready', 0.5, 0.5 FROM p")
        conn.commit()
    seen, token_ = [], None
    while True:
        page = client.get("/v1/cards", params={"limit": 10, "page_token": token_}
                          if token_ else {"limit": 10}).json()
        seen += [c["id"] for c in page["cards"]]
        token_ = page["next_page_token"]
        if token_ is None:
            break
    assert len(seen) == 25 == len(set(seen)) and seen == sorted(seen)


def test_operations_routes_for_admin(app: App, base_url: str,
                                     token: Callable[..., str]) -> None:
    with httpx.Client(base_url=base_url,
                      headers={"Authorization": f"Bearer {token('admin')}"}) as admin:
        _admin_routes(app, admin)


def _admin_routes(app: App, admin: httpx.Client) -> None:
    from sxp.adapters.postgres import queue

    assert admin.get("/v1/status").json()["tiers"]["tier1_profiles"] == 0
    assert admin.post("/v1/gate/dry-run").json()["dry_run"] is True
    with app.connect() as conn:
        queue.enqueue(conn, "ingest", {"source_file_id": 1}, max_attempts=1)
        conn.commit()
        job = queue.claim(conn, "w")
        assert job is not None
        queue.fail(conn, job, "boom", fatal=True)
    dead = admin.get("/v1/jobs", params={"state": "dead"}).json()
    assert [j["id"] for j in dead["jobs"]] == [job.id]
    assert admin.post(f"/v1/jobs/{job.id}/retry").json() == {"id": job.id, "state": "todo"}
    _problem(admin.post(f"/v1/jobs/{job.id}/retry"), 404, "not_found")
    _problem(admin.get("/v1/jobs", params={"state": "bogus"}), 400, "bad_request")
    assert admin.get("/v1/exports").json()["latest"] == []


def test_unknown_routes_and_methods_get_problems(client: httpx.Client) -> None:
    _problem(client.get("/nope"), 404, "not_found")
    _problem(client.delete("/v1/cards"), 405, "method_not_allowed")
    spec = client.get("/openapi.json").json()
    assert {"/health", "/v1/imports", "/v1/imports/{ref}", "/v1/cards", "/v1/cards/{card_id}",
            "/v1/status", "/v1/jobs", "/v1/jobs/{job_id}/retry", "/v1/gate/dry-run",
            "/v1/exports"} <= set(spec["paths"])
    imports = spec["paths"]["/v1/imports"]["post"]
    assert {p["name"] for p in imports["parameters"]} == {"platform", "format", "filename"}
    assert {"202", "200", "400", "401", "403", "413", "429"} <= set(imports["responses"])
    assert client.get("/docs").status_code == 200


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _sxp(*args: str, env: dict[str, str]) -> str:
    sxp = Path(sys.executable).parent / "sxp"
    return subprocess.run([str(sxp), *args], env=env, capture_output=True, text=True,
                          check=True).stdout


@contextmanager
def _sxp_api(env: dict[str, str]) -> Iterator[tuple[str, int]]:
    """`sxp api` as a process on a free loopback port (its URL and pid), stopped with
    SIGTERM."""
    port = _free_port()
    sxp = Path(sys.executable).parent / "sxp"
    proc = subprocess.Popen([str(sxp), "api", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(150):
            try:
                httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        proc.terminate()
        # SIGTERM: uvicorn finishes in-flight requests, then exits by the signal it got
        assert proc.wait(timeout=30) in (0, -15)


def _parent_and_cmd(proc_dir: Path) -> tuple[int, str]:
    try:
        parent = int((proc_dir / "stat").read_text().rsplit(")", 1)[1].split()[1])
        return parent, (proc_dir / "cmdline").read_bytes().decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return -1, ""


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SXP_", "SPACES_"))}
    return {**env, "SXP_ENV": "cli", **extra}


def test_sxp_api_command_serves_over_loopback(settings: Settings, tmp_path: Path) -> None:
    env = _clean_env(DATABASE_URL=str(settings.database_dsn),
                     SPACES_ENDPOINT=str(settings.spaces_endpoint),
                     SPACES_BUCKET=settings.spaces_bucket, SPACES_KEY="testing",
                     SPACES_SECRET="testing", SXP_HOME=str(tmp_path))
    key = _sxp("keys", "create", "--name", "cli", "--scopes", "imports:write",
               env=env).strip().splitlines()[-1]
    listed = _sxp("keys", "list", env=env)
    assert '"name": "cli"' in listed and key not in listed  # the token is shown once only
    with _sxp_api(env) as (url, _pid):
        health = httpx.get(f"{url}/health", timeout=2)
        assert health.json() == {"status": "ok", "env": "cli"}
        resp = httpx.post(f"{url}/v1/imports", params={"platform": "threads"},
                          content=b'{"username": "synthetic_cli"}\n', timeout=10,
                          headers={"Authorization": f"Bearer {key}"})
        assert resp.status_code == 202 and "platform=threads" in resp.json()["key"]


def test_workers_bootstrap_alike_and_accept_each_others_upload_links(
        settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sxp.entrypoints.api.routes import uploads
    from sxp.entrypoints.api.serve import worker_environment

    parent = bootstrap(settings.model_copy(update={"spaces_endpoint": None,
                                                   "home": tmp_path / "local"}))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SXP_API_SIGNING_KEY", raising=False)
    for name, value in worker_environment(parent).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SXP_HOME", str(tmp_path / "local"))
    one, other = bootstrap(), bootstrap()  # two workers, from the same environment
    try:
        assert one.database_uri == other.database_uri == parent.database_uri
        link = uploads._sign(one, "inbox/x.jsonl", time.time() + 60)
        assert uploads._verified(other, link) == "inbox/x.jsonl"
    finally:
        for app in (parent, one, other):
            app.close()


def test_sxp_api_serves_under_two_worker_processes(settings: Settings, tmp_path: Path) -> None:
    # the embedded defaults (local store, no signing key configured) under two workers
    env = _clean_env(DATABASE_URL=str(settings.database_dsn), SXP_HOME=str(tmp_path),
                     SXP_API_WORKERS="2")
    key = _sxp("keys", "create", "--name", "workers", "--scopes", "imports:write",
               env=env).strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {key}"}
    with _sxp_api(env) as (url, pid):
        workers = [d for d in Path("/proc").glob("[0-9]*") if _parent_and_cmd(d)[0] == pid
                   and "multiprocessing.spawn" in _parent_and_cmd(d)[1]]
        assert len(workers) == 2
        for n in range(4):
            plan = httpx.post(f"{url}/v1/imports/uploads", json={"size_bytes": 40},
                              headers=headers, timeout=10).json()
            body = b'{"platform": "x", "username": "worker_%d"}\n' % n
            put = httpx.put(plan["url"], content=body, timeout=10)
            assert put.status_code == 201, put.text
