"""Uploads that bypass the API: presigned PUTs and part plans on S3 (moto), the API's own
signed link on the local folder store; the object lands at a fresh inbox key."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from sxp.adapters.postgres import queue
from sxp.bootstrap import App, bootstrap
from sxp.config import Settings
from sxp.entrypoints.api.routes import uploads

from .api_server import serving


def _auth(token: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token('imports:write')}"}


def test_a_presigned_put_lands_at_a_fresh_inbox_key(app: App, client: httpx.Client,
                                                    token: Callable[..., str]) -> None:
    plans = [client.post("/v1/imports/uploads",
                         json={"size_bytes": 40, "filename": "big.jsonl", "platform": "x"})
             for _ in range(2)]
    assert all(p.status_code == 201 for p in plans), plans[0].text
    first, second = (p.json() for p in plans)
    assert first["method"] == "PUT" and first["key"] != second["key"]
    assert first["key"].startswith("inbox/platform=x/") and first["key"].endswith("-big.jsonl")
    body = b'{"platform": "x", "username": "direct_one"}\n'
    assert httpx.put(first["url"], content=body).status_code == 200  # no sxp key needed
    assert app.store.get_bytes(first["key"]) == body


def test_past_5_gb_the_plan_is_multipart(app: App, client: httpx.Client,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uploads, "SINGLE_PUT_MAX", 10 * 2**20)  # as if 5 GB were 10 MB
    monkeypatch.setattr(uploads, "MIN_PART", 5 * 2**20)
    size = 12 * 2**20
    plan = client.post("/v1/imports/uploads", json={"size_bytes": size}).json()
    assert plan["method"] == "multipart" and len(plan["parts"]) == 3
    data = bytes(range(256)) * (size // 256)
    etags = []
    for part in plan["parts"]:
        start = (part["part_number"] - 1) * plan["part_size"]
        resp = httpx.put(part["url"], content=data[start:start + plan["part_size"]])
        assert resp.status_code == 200
        etags.append(resp.headers["etag"])
    done = client.post("/v1/imports/uploads/complete",
                       json={"key": plan["key"], "upload_id": plan["upload_id"], "etags": etags})
    assert done.status_code == 200, done.text
    assert app.store.get_bytes(plan["key"]) == data
    bad = client.post("/v1/imports/uploads/complete",
                      json={"key": plan["key"], "upload_id": "nope", "etags": ["x"]})
    assert bad.status_code == 400 and bad.json()["code"] == "bad_upload"


@pytest.fixture
def local_api(settings: Settings, tmp_path: Path) -> Iterator[tuple[App, str]]:
    local = bootstrap(settings.model_copy(update={"spaces_endpoint": None,
                                                  "home": tmp_path / "local"}))
    with serving(local) as url:
        yield local, url
    local.close()


def test_the_local_store_gets_the_apis_own_signed_link(
        local_api: tuple[App, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from sxp.entrypoints.keys import create_key

    local, url = local_api
    headers = {"Authorization": f"Bearer {create_key(local, 'local', ['imports:write'])}"}
    plan = httpx.post(f"{url}/v1/imports/uploads", json={"size_bytes": 10},
                      headers=headers).json()
    assert plan["method"] == "PUT" and plan["url"].startswith(f"{url}/v1/imports/uploads/")
    body = b'{"platform": "x", "username": "local_one"}\n'
    put = httpx.put(plan["url"], content=body)
    assert put.status_code == 201 and put.json()["key"] == plan["key"]
    assert local.store.get_bytes(plan["key"]) == body
    tampered = plan["url"][:-3] + ("AAA" if not plan["url"].endswith("AAA") else "BBB")
    assert httpx.put(tampered, content=body).json()["code"] == "bad_upload_link"
    monkeypatch.setattr(uploads.time, "time", lambda: 4e9)  # long after it expired
    late = httpx.put(plan["url"], content=body)
    assert late.status_code == 403 and late.json()["code"] == "upload_link_expired"


def test_a_bypass_upload_has_a_status_and_the_same_content_again_is_a_duplicate(
        local_api: tuple[App, str]) -> None:
    from sxp.entrypoints.keys import create_key
    from sxp.pipeline.ingest import run_job
    from sxp.pipeline.scan import scan

    local, url = local_api
    token = create_key(local, "bypass", ["imports:write", "imports:read"])
    headers = {"Authorization": f"Bearer {token}"}
    body = b'{"platform": "x", "username": "bypass_one"}\n'
    statuses = []
    for _ in range(2):
        plan = httpx.post(f"{url}/v1/imports/uploads", json={"size_bytes": len(body)},
                          headers=headers).json()
        assert httpx.get(f"{url}{plan['status_url']}", headers=headers).json()["state"] == \
            "registered"
        assert httpx.put(plan["url"], content=body).status_code == 201
        scan(local)
        with local.connect() as conn:
            while (job := queue.claim(conn, "t", kinds=["ingest"])) is not None:
                run_job(local, job)
        statuses.append(httpx.get(f"{url}{plan['status_url']}", headers=headers).json())
    first, second = statuses
    assert first["state"] == "ingested" and first["rows_loaded"] == 1 and first["sha256"]
    assert second["state"] == "duplicate" and second["duplicate_of"] == first["id"]
    assert second["sha256"] is None and local.store.head(second["key"]) is None
