"""`sxp api`: the API under uvicorn (the App Platform `sxp-api` service).

Requests run concurrently (async routes stream, sync ones run on a thread pool) in
SXP_API_WORKERS processes (default: one per CPU); idle keep-alive connections close after
SXP_API_KEEP_ALIVE_S, headers must arrive within SXP_API_HEADER_TIMEOUT_S and each body chunk
within SXP_API_READ_TIMEOUT_S (408 otherwise); requests uvicorn refuses itself get the API's
problem shape (`protocol`); SIGTERM stops accepting and lets in-flight requests finish (up to
30 s), as App Platform expects.

With several workers, uvicorn's supervisor spawns them without this process's state: each
bootstraps its own App from the environment (`worker_api`), to which `worker_environment`
first adds what this process resolved. The per-key rate limit is kept per process.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

import uvicorn
from fastapi import FastAPI

from sxp.bootstrap import App, bootstrap
from sxp.entrypoints.api import create_api
from sxp.entrypoints.api.protocol import SxpHttpProtocol, protocol_class
from sxp.logs import get_logger

log = get_logger("api")


def _server_options(app: App) -> dict[str, Any]:
    return {"log_config": None, "access_log": False, "server_header": False,
            "proxy_headers": True, "timeout_keep_alive": app.settings.api_keep_alive_s,
            "timeout_graceful_shutdown": 30, "limit_concurrency": 1000, "lifespan": "off"}


def api_config(app: App, host: str, port: int) -> uvicorn.Config:
    """One server in this process, answering with this App."""
    return uvicorn.Config(create_api(app), host=host, port=port,
                          http=protocol_class(app.settings.api_header_timeout_s),
                          **_server_options(app))


def worker_api() -> FastAPI:
    """The app of one worker process (uvicorn's factory): its own App from the environment."""
    app = bootstrap()
    SxpHttpProtocol.header_timeout_s = app.settings.api_header_timeout_s
    return create_api(app)


def worker_environment(app: App) -> dict[str, str]:
    """What the workers' environment must add so that they bootstrap as this process did: its
    database (the embedded one included) and one upload signing key for all, so that a link
    one worker signs is good on every other."""
    pinned = {} if os.environ.get("DATABASE_URL") else {"DATABASE_URL": app.database_uri}
    if not app.settings.secret("api_signing_key"):
        pinned["SXP_API_SIGNING_KEY"] = secrets.token_urlsafe(32)
    return pinned


def serve_api(app: App, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Serve until SIGTERM or SIGINT."""
    workers = app.settings.api_worker_count
    log.info("api listening", extra={"host": host, "port": port, "workers": workers})
    if workers == 1:
        uvicorn.Server(api_config(app, host, port)).run()
        return
    os.environ.update(worker_environment(app))
    uvicorn.run("sxp.entrypoints.api.serve:worker_api", factory=True, host=host, port=port,
                workers=workers, http="sxp.entrypoints.api.protocol:SxpHttpProtocol",
                **_server_options(app))
