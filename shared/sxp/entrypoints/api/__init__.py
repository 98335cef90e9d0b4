"""The sxp HTTP API: one FastAPI route definition, served two ways.

- the `sxp-api` container (`sxp api`): uvicorn (`serve.serve_api`);
- DigitalOcean web functions: their arguments become an API-Gateway-v2 event that Mangum hands
  to the same app (`events.handle_http_event`).

Every route but `GET /health` needs `Authorization: Bearer <token>` with a key from
`sxp keys create` holding the route's scope (`deps.require`). Errors are RFC 9457 problem
details (`problems`). OpenAPI at `/openapi.json`, Swagger UI at `/docs`. The operator console
(`console`) serves HTML pages under `/console`.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from sxp.bootstrap import App
from sxp.entrypoints.api import console, problems
from sxp.entrypoints.api.deps import KeyCheck
from sxp.entrypoints.api.routes import (
    batches,
    cards,
    consumers,
    health,
    imports,
    ops,
    uploads,
)

API_VERSION = "1.0"


def create_api(app: App) -> FastAPI:
    """The API bound to an App (nothing is built at import time)."""
    api = FastAPI(title="Social XPress Engine API", version=API_VERSION,
                  description="Imports, lead cards and pipeline operations of sxp. Keys are "
                              "created with `sxp keys create --name NAME --scopes ...`.",
                  openapi_tags=[{"name": n} for n in ("health", "imports", "cards",
                                                       "batches", "consumers",
                                                       "operations")])
    api.state.sxp = app
    api.state.keys = KeyCheck(app)
    problems.install(api)
    for router in (health.router, uploads.router, imports.router, cards.router,
                   batches.router, consumers.router, ops.router):
        api.include_router(router)
    console.install(api)

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            schema = get_openapi(title=api.title, version=api.version,
                                 description=api.description, routes=api.routes,
                                 tags=api.openapi_tags)
            schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = (
                problems.Problem.model_json_schema())
            schema["components"]["securitySchemes"] = {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "a token from `sxp keys create`"}}
            api.openapi_schema = problems.drop_validation_responses(schema)
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]
    return api
