"""One error shape for every route: RFC 9457 problem details (`application/problem+json`),
with the sxp reason code as the `code` member. 404, 405, validation errors and unexpected
failures alike; no traceback, server path or PII in a body."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from sxp.errors import InputError, SxpError
from sxp.logs import get_logger

log = get_logger("api")
PROBLEM_JSON = "application/problem+json"


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str


class ApiProblem(Exception):
    """A 4xx the routes raise on purpose (auth, scopes, rate limit, not found)."""

    def __init__(self, status: int, code: str, detail: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers = status, code, detail, headers


_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           405: "Method Not Allowed", 408: "Request Timeout", 409: "Conflict",
           413: "Content Too Large",
           422: "Unprocessable Content", 429: "Too Many Requests",
           500: "Internal Server Error", 503: "Service Unavailable"}
INPUT_STATUS = {"too_large": 413, "not_found": 404}


def problem(status: int, code: str, detail: str,
            headers: dict[str, str] | None = None) -> JSONResponse:
    body = Problem(title=_TITLES.get(status, "Error"), status=status, detail=detail, code=code)
    return JSONResponse(body.model_dump(), status_code=status, headers=headers,
                        media_type=PROBLEM_JSON)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem responses a route may give (any request may be
    malformed: 400 is always among them)."""
    return {s: {"model": Problem, "description": _TITLES.get(s, "Error"),
                "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
            for s in sorted({400, *statuses})}


def drop_validation_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """FastAPI documents a 422 on every route; ours answer 400 problems instead."""
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            operation.get("responses", {}).pop("422", None)
    for name in ("HTTPValidationError", "ValidationError"):
        schema.get("components", {}).get("schemas", {}).pop(name, None)
    return schema


def install(api: FastAPI) -> None:
    @api.exception_handler(ApiProblem)
    async def on_problem(_request: Request, exc: ApiProblem) -> JSONResponse:
        return problem(exc.status, exc.code, exc.detail, exc.headers)

    @api.exception_handler(InputError)
    async def on_input(_request: Request, exc: InputError) -> JSONResponse:
        return problem(INPUT_STATUS.get(exc.reason_code, 400), exc.reason_code, exc.message)

    @api.exception_handler(SxpError)
    async def on_sxp(_request: Request, exc: SxpError) -> JSONResponse:
        log.warning("api error", extra={"reason_code": exc.reason_code})
        status = 503 if exc.retryable else 500
        return problem(status, exc.reason_code, exc.message)

    @api.exception_handler(HTTPException)
    async def on_http(_request: Request, exc: HTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return problem(exc.status_code, code, str(exc.detail), getattr(exc, "headers", None))

    @api.exception_handler(RequestValidationError)
    async def on_invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = sorted({".".join(str(p) for p in e.get("loc", ())[1:]) or "request"
                         for e in exc.errors()})
        return problem(400, "bad_request", f"invalid or missing: {', '.join(fields)}")

    @api.exception_handler(Exception)
    async def on_error(_request: Request, exc: Exception) -> JSONResponse:
        log.error("api failure", extra={"error_type": type(exc).__name__})
        return problem(500, "internal_error", "the server failed to answer this request")
