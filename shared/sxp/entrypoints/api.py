"""The HTTP API: one route definition (Powertools event handler) for every way it is served.

- DigitalOcean web functions and any API-Gateway-v2-shaped event: `handle_http_event(app, event)`
- the `sxp-api` container (`sxp api`): `serve_api(app, host, port)`, a stdlib threaded HTTP
  server that turns each request into the same event.

Routes: `GET /health`, `GET /status`, `POST /imports?platform=&format=&filename=` (the body is
the file: JSONL, JSON or CSV, optionally gzip), `GET /exports` (the export index),
`GET /openapi.json`.
"""

from __future__ import annotations

import base64
import hashlib
import re
import signal
import threading
from typing import Any, cast
from urllib.parse import parse_qsl

import orjson
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from pydantic import BaseModel

from sxp.bootstrap import App
from sxp.domain.bundle import ExportIndex
from sxp.errors import InputError, SxpError
from sxp.logs import get_logger

log = get_logger("api")

MAX_IMPORT_BYTES = 256 * 1024 * 1024
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
_EXTENSIONS = {"jsonl": ".jsonl", "json": ".json", "csv": ".csv"}
# Powertools keeps the current event on the router class: one request resolves at a time.
_RESOLVE_LOCK = threading.Lock()


class ImportAccepted(BaseModel):
    key: str
    url: str
    size_bytes: int


class ApiError(BaseModel):
    error: str
    message: str


def build_resolver(app: App) -> APIGatewayHttpResolver:
    """The one route definition of the sxp HTTP API, bound to an App."""
    api = APIGatewayHttpResolver()

    @api.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "env": app.settings.env}

    @api.get("/status")
    def status() -> Response[dict[str, Any]]:
        try:
            from sxp.pipeline.status import collect_status
        except ImportError:
            return _error(501, "not_available", "status is not available in this build")
        return _json(200, collect_status(app))

    @api.post("/imports")
    def create_import() -> Response[ImportAccepted]:
        event = api.current_event
        body = request_body(event.raw_event)
        key = import_body(app, body, platform=event.get_query_string_value("platform"),
                          fmt=event.get_query_string_value("format"),
                          filename=event.get_query_string_value("filename"))
        accepted = ImportAccepted(key=key, url=app.store.url(key), size_bytes=len(body))
        return _json(202, accepted.model_dump())

    @api.get("/exports")
    def exports_index() -> Response[ExportIndex]:
        from sxp.pipeline.export import index_key

        key = index_key(app)
        if app.store.head(key) is None:
            return _json(200, {"schema_version": "lead_card_batch_index.v1",
                               "env": app.settings.env, "manifests": []})
        return Response(200, content_types.APPLICATION_JSON,
                        cast(Any, app.store.get_bytes(key).decode()))

    @api.get("/openapi.json")
    def openapi() -> Response[dict[str, Any]]:
        schema = api.get_openapi_json_schema(title="Social XPress Engine API", version="1")
        return Response(200, content_types.APPLICATION_JSON, cast(Any, schema))

    @api.exception_handler(InputError)  # type: ignore[untyped-decorator]
    def bad_input(exc: InputError) -> Response[Any]:
        status_code = 413 if exc.reason_code == "too_large" else 400
        return _error(status_code, exc.reason_code, exc.message)

    @api.exception_handler(SxpError)  # type: ignore[untyped-decorator]
    def sxp_error(exc: SxpError) -> Response[Any]:
        log.warning("api error", extra={"reason_code": exc.reason_code})
        return _error(500, exc.reason_code, exc.message)

    return api


def import_body(app: App, body: bytes, *, platform: str | None, fmt: str | None,
                filename: str | None) -> str:
    """Write an uploaded file into the inbox; the next scan picks it up. Returns its key."""
    from sxp.pipeline.imports import inbox_key

    if not body:
        raise InputError("empty body: send the file's bytes as the request body", "empty_body")
    if len(body) > MAX_IMPORT_BYTES:
        raise InputError(f"body larger than {MAX_IMPORT_BYTES} bytes", "too_large")
    if filename is None:
        gz = ".gz" if body[:2] == b"\x1f\x8b" else ""
        filename = f"import-{hashlib.sha256(body).hexdigest()[:16]}" \
                   f"{_EXTENSIONS.get(fmt or 'jsonl', '.jsonl')}{gz}"
    elif not _SAFE_NAME.match(filename):
        raise InputError("filename must be a plain name of letters, digits, '.', '_' or '-'",
                         "bad_filename")
    key = inbox_key(app.settings.inbox_prefix, filename, platform or None, fmt or None)
    app.store.put_bytes(key, body)
    log.info("import stored", extra={"key": key, "size_bytes": len(body)})
    return key


def request_body(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body)
    return body.encode() if isinstance(body, str) else bytes(body)


def http_event(method: str, path: str, *, query: str = "", headers: dict[str, str] | None = None,
               body: bytes = b"") -> dict[str, Any]:
    """An API Gateway HTTP API (v2) event: the shape the resolver routes on."""
    params = dict(parse_qsl(query, keep_blank_values=True))
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
        "headers": {k.lower(): v for k, v in (headers or {}).items()},
        "queryStringParameters": params or None,
        "requestContext": {"http": {"method": method.upper(), "path": path,
                                    "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                                    "userAgent": ""},
                           "requestId": "sxp", "routeKey": "$default", "stage": "$default"},
        "body": base64.b64encode(body).decode(), "isBase64Encoded": True,
    }


def handle_http_event(app: App, event: dict[str, Any]) -> dict[str, Any]:
    """Route one v2 event; returns `{statusCode, headers, body, isBase64Encoded}`."""
    resolver: APIGatewayHttpResolver = app.once("api_resolver", lambda: build_resolver(app))
    with _RESOLVE_LOCK:
        result: dict[str, Any] = resolver.resolve(event, None)  # type: ignore[arg-type]
    return result


def _json(status_code: int, payload: Any) -> Response[Any]:
    return Response(status_code, content_types.APPLICATION_JSON, orjson.dumps(payload).decode())


def _error(status_code: int, code: str, message: str) -> Response[Any]:
    return _json(status_code, ApiError(error=code, message=message).model_dump())


def serve_api(app: App, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Serve the API until interrupted (`sxp api`, the App Platform service)."""
    from sxp.entrypoints.http_server import start_http_server

    server = start_http_server(lambda event: handle_http_event(app, event), host, port,
                               max_body_bytes=MAX_IMPORT_BYTES)
    log.info("api listening", extra={"url": server.base_url})
    if threading.current_thread() is threading.main_thread():
        # App Platform stops containers with SIGTERM: finish in-flight requests, then exit
        signal.signal(signal.SIGTERM,
                      lambda *_: threading.Thread(target=server.close, daemon=True).start())
    try:
        server.wait()
    finally:
        server.close()

