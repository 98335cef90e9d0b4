"""The HTTP API over real HTTP on loopback, on real Postgres and moto S3."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator

import httpx
import pytest

from sxp.bootstrap import App
from sxp.entrypoints.api import MAX_IMPORT_BYTES, handle_http_event
from sxp.entrypoints.http_server import start_http_server


@pytest.fixture
def client(app: App) -> Iterator[httpx.Client]:
    server = start_http_server(
        lambda event: handle_http_event(app, event), "127.0.0.1", 0, max_body_bytes=MAX_IMPORT_BYTES
    )
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        yield http
    server.close()


def test_health_and_status(client: httpx.Client) -> None:
    health = client.get("/health")
    assert health.status_code == 200 and health.json() == {"status": "ok", "env": "test"}
    status = client.get("/status")
    assert status.status_code == 200
    assert status.json()["tiers"]["tier1_profiles"] == 0


def test_import_writes_the_body_into_the_inbox(app: App, client: httpx.Client) -> None:
    rows = b'{"platform": "x", "username": "synthetic_one"}\n'
    resp = client.post(
        "/imports",
        params={"platform": "x", "format": "jsonl", "filename": "drop-1.jsonl"},
        content=rows,
    )
    assert resp.status_code == 202, resp.text
    key = resp.json()["key"]
    assert key.startswith("inbox/platform=x/format=jsonl/") and key.endswith("/drop-1.jsonl")
    assert app.store.get_bytes(key) == rows

    packed = gzip.compress(b"username,name\nsynthetic_two,Two\n")
    resp = client.post("/imports", content=packed)
    assert resp.status_code == 202
    gz_key = resp.json()["key"]
    assert gz_key.startswith("inbox/2") and gz_key.endswith(".jsonl.gz")
    assert app.store.get_bytes(gz_key) == packed


@pytest.mark.parametrize(
    "params, body, code",
    [
        ({}, b"", "empty_body"),
        ({"platform": "myspace"}, b"x", "unknown_platform"),
        ({"format": "xml"}, b"x", "unknown_format"),
        ({"filename": "../escape.jsonl"}, b"x", "bad_filename"),
    ],
)
def test_bad_imports_get_400_with_a_message(
    client: httpx.Client, params: dict[str, str], body: bytes, code: str
) -> None:
    resp = client.post("/imports", params=params, content=body)
    assert resp.status_code == 400
    assert resp.json()["error"] == code and resp.json()["message"]


def test_exports_index_and_unknown_route(
    app: App, client: httpx.Client, seed_ready_card: Callable[[], None]
) -> None:
    empty = client.get("/exports")
    assert empty.status_code == 200 and empty.json()["manifests"] == []
    seed_ready_card()
    from sxp.pipeline.export import export

    result = export(app)
    assert result is not None
    index = client.get("/exports").json()
    assert [m["batch_id"] for m in index["manifests"]] == [result.batch_id]
    assert index["manifests"][0]["sha256"] == result.manifest_sha256
    assert client.get("/nope").status_code == 404
    spec = client.get("/openapi.json").json()
    assert {"/health", "/status", "/imports", "/exports"} <= set(spec["paths"])


def test_sxp_api_command_serves_over_loopback(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SXP_", "SPACES_"))}
    env.update({"DATABASE_URL": str(settings.database_url),
                "SPACES_ENDPOINT": str(settings.spaces_endpoint),
                "SPACES_BUCKET": settings.spaces_bucket, "SPACES_KEY": "testing",
                "SPACES_SECRET": "testing", "SXP_ENV": "cli", "SXP_HOME": str(tmp_path)})
    sxp = Path(sys.executable).parent / "sxp"
    proc = subprocess.Popen([str(sxp), "api", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        health = None
        for _ in range(100):
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert health is not None and health.json() == {"status": "ok", "env": "cli"}
        resp = httpx.post(f"http://127.0.0.1:{port}/imports", params={"platform": "threads"},
                          content=b'{"username": "synthetic_cli"}\n', timeout=10)
        assert resp.status_code == 202 and "platform=threads" in resp.json()["key"]
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0  # SIGTERM: graceful stop
