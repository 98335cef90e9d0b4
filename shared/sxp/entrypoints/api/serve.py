"""`sxp api`: the API under uvicorn (the App Platform `sxp-api` service).

Requests run concurrently (async routes stream, sync ones run on a thread pool); idle
keep-alive connections close after SXP_API_KEEP_ALIVE_S, headers must arrive within
SXP_API_HEADER_TIMEOUT_S and each body chunk within SXP_API_READ_TIMEOUT_S (408 otherwise);
requests uvicorn refuses itself get the API's problem shape (`protocol`); SIGTERM stops
accepting and lets in-flight requests finish (up to 30 s), as App Platform expects.
"""

from __future__ import annotations

import uvicorn

from sxp.bootstrap import App
from sxp.entrypoints.api import create_api
from sxp.entrypoints.api.protocol import protocol_class
from sxp.logs import get_logger

log = get_logger("api")


def api_config(app: App, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(create_api(app), host=host, port=port, log_config=None,
                          access_log=False, server_header=False, proxy_headers=True,
                          timeout_keep_alive=app.settings.api_keep_alive_s,
                          timeout_graceful_shutdown=30, limit_concurrency=1000,
                          http=protocol_class(app.settings.api_header_timeout_s),
                          lifespan="off")


def serve_api(app: App, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Serve until SIGTERM or SIGINT."""
    log.info("api listening", extra={"host": host, "port": port})
    uvicorn.Server(api_config(app, host, port)).run()
