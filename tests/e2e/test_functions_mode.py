"""The serverless shape end to end: every function of the standalone namespace's project run
the way DigitalOcean runs it (tests/e2e/do_functions.py: one process per invocation from the
built package, its limits and argument shapes, its scheduled triggers' bodies), against moto's
S3 and Postgres, until the inbox is drained and the batch delivered; the end state equals
`sxp run` on the same input."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sxp.bootstrap import App, bootstrap
from sxp.config import Settings, repo_root
from sxp.entrypoints.demo import sample_files
from sxp.entrypoints.keys import create_key
from sxp.pipeline.run import run_pipeline
from sxp.pipeline.status import collect_status
from sxp.sandbox import start_sandbox

from .do_functions import FunctionsRuntime

# what legitimately differs between two runs of the same input: bookkeeping of who ran what
_RUN_SPECIFIC = ("jobs", "retention", "providers")


def _namespace_project() -> dict[str, Any]:
    path = repo_root() / "deploy/functions-namespace/assemble.py"
    spec = importlib.util.spec_from_file_location("assemble", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    project: dict[str, Any] = module.namespace_project()
    return project


@pytest.fixture
def sandboxes() -> Iterator[dict[str, str]]:
    """The providers' emulators as the one outside service both runs call."""
    servers = [start_sandbox("skiptrace"), start_sandbox("apollo")]
    yield {"SKIPTRACE_BASE_URL": servers[0].base_url, "APOLLO_BASE_URL": servers[1].base_url}
    for server in servers:
        server.close()


@pytest.fixture
def runtime(app: App, function_build: Any, sandboxes: dict[str, str],
            tmp_path: Path) -> FunctionsRuntime:
    s = app.settings
    deploy_env = {  # the deploying shell's variables (doctl resolves project.yml from them)
        "SXP_ENV": "fn-e2e", "DATABASE_URL": str(s.database_dsn),
        "SPACES_ENDPOINT": str(s.spaces_endpoint), "SPACES_BUCKET": s.spaces_bucket,
        "SPACES_REGION": s.spaces_region, "SPACES_KEY": "testing", "SPACES_SECRET": "testing",
        "SXP_PRIVACY_KEY": "fn-e2e-privacy-key", **sandboxes,
    }
    (tmp_path / "fn-home").mkdir()
    return FunctionsRuntime(_namespace_project(), repo=repo_root(),
                            site_packages=function_build.site_packages,
                            deploy_env=deploy_env, scratch=tmp_path)


def _drop_sample(app: App) -> None:
    for path in sample_files():
        app.store.put_bytes(f"{app.settings.inbox_prefix}e2e/{path.name}", path.read_bytes())


def _run_schedule(runtime: FunctionsRuntime, max_rounds: int = 40) -> None:
    """The namespace's scheduler: scan, then drain and export triggers until a round finds
    nothing to do."""
    scanned = runtime.fire("scan-inbox")
    assert scanned.status == "success", scanned.stderr[-3000:]
    for _ in range(max_rounds):
        drained = runtime.fire("drain-queue")
        assert drained.status == "success", drained.stderr[-3000:]
        exported = runtime.fire("export-ready-cards")
        assert exported.status == "success", exported.stderr[-3000:]
        if (not drained.body["outcomes"] and drained.body["pending"] == 0
                and exported.body["exported"] == 0):
            return
    raise AssertionError(f"still busy after {max_rounds} rounds")


def _end_state(app: App) -> dict[str, Any]:
    status = collect_status(app)
    state = {k: v for k, v in status.items() if k not in _RUN_SPECIFIC}
    with app.connect() as conn:
        state["cards"] = [tuple(r.values()) for r in conn.execute(
            "SELECT p.platform, p.handle, c.readiness, c.readiness_score, c.base_confidence,"
            " c.execution_label,"
            " c.persona, c.tribe, c.audience_pool, c.version"
            " FROM execution.lead_cards c JOIN social.raw_social_profiles p"
            "   ON p.id = c.profile_id ORDER BY p.platform, p.handle").fetchall()]
        state["bundled"] = [tuple(r.values()) for r in conn.execute(
            "SELECT consumer_id, count(*) AS n FROM execution.consumer_cards"
            " GROUP BY consumer_id ORDER BY consumer_id").fetchall()]
    return state


def _bundle_records(app: App) -> list[dict[str, Any]]:
    import gzip

    records: list[dict[str, Any]] = []
    for obj in app.store.list(app.settings.exports_prefix):
        if obj.key.endswith("lead_cards.jsonl.gz"):
            for line in gzip.decompress(app.store.get_bytes(obj.key)).splitlines():
                records.append(_without_moments(json.loads(line)))
    return sorted(records, key=lambda r: json.dumps(r, sort_keys=True))


def _without_moments(value: Any) -> Any:
    """A record less what names a moment or a batch of this run (`*_at`, `batch_id`)."""
    if isinstance(value, dict):
        return {k: _without_moments(v) for k, v in value.items()
                if not k.endswith("_at") and k != "batch_id"}
    if isinstance(value, list):
        return [_without_moments(v) for v in value]
    return value


def test_scheduled_functions_drain_the_inbox_to_the_same_end_state_as_sxp_run(
        app: App, runtime: FunctionsRuntime, other_database_url: str,
        sandboxes: dict[str, str], tmp_path: Path) -> None:
    _drop_sample(app)
    _run_schedule(runtime)
    names = {a.name for a in runtime.activations}
    assert names == {"scan", "drain", "export"}
    assert all(a.status == "success" for a in runtime.activations)

    reference = bootstrap(Settings(
        DATABASE_URL=other_database_url, SPACES_ENDPOINT=app.settings.spaces_endpoint,
        SPACES_BUCKET=f"{app.settings.spaces_bucket}-ref", SPACES_KEY="testing",
        SPACES_SECRET="testing", SXP_HOME=tmp_path / "ref-home", SXP_ENV="fn-e2e",
        SXP_PRIVACY_KEY="fn-e2e-privacy-key", **sandboxes))
    try:
        _drop_sample(reference)
        run_pipeline(reference)
        functions_state, sxp_run_state = _end_state(app), _end_state(reference)
        assert functions_state["tiers"]["exported_cards"] > 0
        assert functions_state == sxp_run_state
        assert _bundle_records(app) == _bundle_records(reference)
    finally:
        reference.close()


def test_web_functions_answer_as_the_api_and_refuse_over_a_mebibyte(
        app: App, runtime: FunctionsRuntime) -> None:
    writer = {"authorization": f"Bearer {create_key(app, 'fn-writer', ['imports:write'])}"}
    reader = {"authorization": f"Bearer {create_key(app, 'fn-reader', ['imports:read'])}"}
    posted = runtime.request("import", "POST", body=b'{"username": "synthetic_fn_web"}\n',
                             query="platform=x&filename=web.jsonl",
                             headers={"Content-Type": "application/x-ndjson", **writer})
    assert posted["statusCode"] == 202, posted
    assert json.loads(posted["body"])["key"].startswith("inbox/platform=x/")

    too_big = runtime.request("import", "POST", body=b"username\n" + b"a" * (1024 * 1024),
                              query="platform=x&format=csv",
                              headers={"Content-Type": "text/csv", **writer})
    assert too_big["statusCode"] == 413
    problem = json.loads(too_big["body"])
    assert problem["code"] == "too_large" and "/v1/imports/uploads" in problem["detail"]
    assert too_big["headers"]["content-type"] == "application/problem+json"

    upload = runtime.request("upload", "POST", headers={"Content-Type": "application/json",
                                                        **writer},
                             body=json.dumps({"size_bytes": 5 * 1024 * 1024,
                                              "filename": "big.csv", "platform": "x",
                                              "format": "csv"}).encode())
    assert upload["statusCode"] in (200, 201), upload

    status = runtime.request("status", "GET", headers=reader)
    assert status["statusCode"] == 200
    assert "tiers" in json.loads(status["body"])
    refused = runtime.request("status", "GET")
    assert refused["statusCode"] == 401


def test_limits_of_the_platform_hold(app: App, runtime: FunctionsRuntime) -> None:
    with pytest.raises(ValueError, match="over 1 MiB"):
        runtime.invoke("gate", {"padding": "x" * (1024 * 1024)})
    runtime.functions["drain"]["limits"]["timeout"] = 1  # ms: killed before it starts
    assert runtime.fire("drain-queue").status == "timeout"
