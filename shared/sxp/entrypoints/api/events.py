"""The API for DigitalOcean web functions: their `__ow_*` arguments as an API-Gateway-v2
event, answered by the same FastAPI app through Mangum."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qsl

from mangum import Mangum

from sxp.bootstrap import App
from sxp.entrypoints.api import create_api


class _Context:
    """What Mangum reads of a Lambda-style context (nothing of DigitalOcean's)."""

    function_name = "sxp"
    aws_request_id = "sxp"


def handle_http_event(app: App, event: dict[str, Any]) -> dict[str, Any]:
    """Route one v2 event; returns `{statusCode, headers, body, isBase64Encoded}`."""
    handler = app.once("mangum", lambda: Mangum(create_api(app), lifespan="off"))
    result: dict[str, Any] = handler(event, _Context())  # type: ignore[arg-type]
    return result


def http_event(method: str, path: str, *, query: str = "", headers: dict[str, str] | None = None,
               body: bytes = b"") -> dict[str, Any]:
    """An API Gateway HTTP API (v2) event: the shape Mangum routes on."""
    params = dict(parse_qsl(query, keep_blank_values=True))
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
        "headers": {k.lower(): v for k, v in (headers or {}).items()},
        "queryStringParameters": params or None,
        "requestContext": {"http": {"method": method.upper(), "path": path,
                                    "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                                    "userAgent": ""},
                           "requestId": "sxp", "routeKey": "$default", "stage": "$default",
                           "accountId": "sxp", "apiId": "sxp", "domainName": "localhost",
                           "domainPrefix": "sxp", "time": "", "timeEpoch": 0},
        "body": base64.b64encode(body).decode(), "isBase64Encoded": True,
    }
