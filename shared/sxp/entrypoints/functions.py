"""DigitalOcean Functions handlers: parse args, bootstrap once per warm container, call a step.

`packages/sxp/<name>/__main__.py` is a one-liner into the handler of the same name (`import`
is `import_`, a Python keyword). Scheduled and plain functions return `{"body": {...}}`; web
functions (`import`, `status`) go through the same FastAPI app as the API container (Mangum,
`sxp.entrypoints.api.events`) and return `{"statusCode", "headers", "body"}`.
"""

from __future__ import annotations

import base64
import dataclasses
import threading
from collections.abc import Callable
from typing import Any

from sxp.bootstrap import App, bootstrap
from sxp.errors import SxpError
from sxp.logs import get_logger

log = get_logger("functions")

Handler = Callable[..., dict[str, Any]]
DEFAULT_DRAIN_S = 240.0  # below the function's 300 s timeout in project.yml
# DigitalOcean Functions take requests and give results of at most 1 MiB
PAYLOAD_LIMIT_BYTES = 1024 * 1024
TOO_LARGE_DETAIL = (
    "a function request carries at most 1 MiB; for a bigger file ask the upload function "
    "(POST /v1/imports/uploads on the API) for a presigned URL and PUT the file there")
_TEXT_TYPES = ("json", "text/", "csv", "ndjson", "x-www-form-urlencoded")
_app_lock = threading.Lock()
_warm_app: App | None = None


def _get_app(app: App | None) -> App:
    """The injected App, or one built from env vars on first use and kept while warm."""
    global _warm_app
    if app is not None:
        return app
    with _app_lock:
        if _warm_app is None:
            _warm_app = bootstrap()
        return _warm_app


def _body(result: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        result = dataclasses.asdict(result)
    return {"body": result}


def _failure(exc: SxpError) -> dict[str, Any]:
    return {"statusCode": 500, "body": {"error": exc.reason_code, "message": exc.message}}


def scan(args: dict[str, Any], app: App | None = None) -> dict[str, Any]:
    """Scheduled: a new cycle (a pipeline run: its gate passes share one per-run budget);
    register new inbox objects and queue their ingest."""
    from sxp.pipeline.run import start_scheduled_cycle
    from sxp.pipeline.scan import scan as scan_inbox

    application = _get_app(app)
    start_scheduled_cycle(application)
    return _body(scan_inbox(application))


def drain(args: dict[str, Any], app: App | None = None) -> dict[str, Any]:
    """Claim and run queued jobs (optionally of some kinds) for at most `seconds`."""
    seconds = float(args.get("seconds") or DEFAULT_DRAIN_S)
    kinds = args.get("kinds")
    if isinstance(kinds, str):
        kinds = [k for k in kinds.split(",") if k]
    return _body(drain_for(_get_app(app), seconds, kinds or None))


def ingest(args: dict[str, Any], app: App | None = None) -> dict[str, Any]:
    return drain({**args, "kinds": ["ingest"]}, app)


def cards(args: dict[str, Any], app: App | None = None) -> dict[str, Any]:
    return drain({**args, "kinds": ["cards"]}, app)


def label(args: dict[str, Any], app: App | None = None) -> dict[str, Any]:
    return drain({**args, "kinds": ["label"]}, app)


def gate(args: dict[str, Any], app: App | None = None) -> dict[str, Any]:
    """Form enrichment batches within budget; `{"dry_run": true}` only reports."""
    from sxp.pipeline.gate import gate as run_gate

    dry_run = str(args.get("dry_run", "")).lower() in ("1", "true", "yes")
    return _body(run_gate(_get_app(app), dry_run=dry_run))


def export(args: dict[str, Any], app: App | None = None) -> dict[str, Any]:
    """Scheduled: each consumer's next Lead Card Batch (their deliveries are queued jobs)."""
    from sxp.pipeline.export import export as run_export

    try:
        results = run_export(_get_app(app))
    except SxpError as exc:
        return _failure(exc)
    return _body({"exported": len(results),
                  "batches": [dataclasses.asdict(r) for r in results]})


def import_(args: dict[str, Any], app: App | None = None) -> dict[str, Any]:
    """Web (raw): `POST …/sxp/import?platform=&format=&filename=` with the file as body and
    the same `Authorization: Bearer` key as the API (`POST /v1/imports`)."""
    return _web(args, "/v1/imports", app)


def upload(args: dict[str, Any], app: App | None = None) -> dict[str, Any]:
    """Web: `POST …/sxp/upload` with `{"size_bytes", "filename", "platform", "format"}`: a
    presigned URL (or part plan) for a file of any size (`POST /v1/imports/uploads`)."""
    return _web({**args, "__ow_method": "post"}, "/v1/imports/uploads", app)


def status(args: dict[str, Any], app: App | None = None) -> dict[str, Any]:
    """Web: counts per tier, step and batch state (`GET /v1/status`, with a key)."""
    return _web({**args, "__ow_method": "get"}, "/v1/status", app)


HANDLERS: dict[str, Handler] = {
    "scan": scan, "drain": drain, "ingest": ingest, "cards": cards, "label": label,
    "gate": gate, "export": export, "import": import_, "upload": upload, "status": status,
}


def _web(args: dict[str, Any], path: str, app: App | None) -> dict[str, Any]:
    from sxp.entrypoints.api.events import handle_http_event, http_event

    if len(str(args.get("__ow_body") or "").encode()) > PAYLOAD_LIMIT_BYTES:
        return _too_large()
    headers = {str(k).lower(): str(v) for k, v in (args.get("__ow_headers") or {}).items()}
    event = http_event(str(args.get("__ow_method") or "get"), path,
                       query=str(args.get("__ow_query") or ""), headers=headers,
                       body=_raw_body(args.get("__ow_body"), headers.get("content-type", "")))
    response = handle_http_event(_get_app(app), event)
    body = response.get("body", "")
    if response.get("isBase64Encoded") and body:
        body = base64.b64decode(body).decode()  # our routes answer JSON, problem+json
    return {"statusCode": response.get("statusCode", 200),
            "headers": response.get("headers") or {}, "body": body}


def _too_large() -> dict[str, Any]:
    """413 before anything else (no database, no store): the body is never read."""
    from sxp.entrypoints.api.problems import PROBLEM_JSON, Problem

    problem = Problem(title="Content Too Large", status=413, detail=TOO_LARGE_DETAIL,
                      code="too_large")
    return {"statusCode": 413, "headers": {"content-type": PROBLEM_JSON},
            "body": problem.model_dump_json()}


def _raw_body(body: Any, content_type: str) -> bytes:
    """DO passes text bodies as they are and binary ones base64-encoded."""
    if not body:
        return b""
    text = str(body)
    if any(t in content_type.lower() for t in _TEXT_TYPES):
        return text.encode()
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        return text.encode()


def drain_for(app: App, seconds: float, kinds: list[str] | None = None) -> dict[str, Any]:
    """Run queued jobs one at a time until none is ready or `seconds` have passed."""
    from sxp.adapters.postgres import queue
    from sxp.pipeline.runner import Idle, new_worker_id, run_jobs

    worker_id = new_worker_id("sxp-fn")
    outcomes: dict[str, int] = {}

    def count(_job: Any, outcome: str, _elapsed: float) -> None:
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

    result = run_jobs(app, worker_id=worker_id, kinds=kinds, idle=Idle.EXIT,
                      deadline_s=seconds, on_progress=count)
    with app.connect() as conn:
        pending = queue.pending_count(conn, kinds)
    log.info("drain finished", extra={"worker": worker_id, "outcomes": outcomes,
                                      "pending": pending})
    return {"outcomes": outcomes, "by_kind": result.by_kind, "pending": pending}
