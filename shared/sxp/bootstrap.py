"""Wire adapters from settings. Called by entrypoints; nothing here runs at import time."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import psycopg

from sxp.adapters.embedded import embedded_postgres_uri
from sxp.adapters.objectstore.base import ObjectStore
from sxp.adapters.objectstore.localdir import LocalDirObjectStore
from sxp.adapters.objectstore.s3 import S3ObjectStore
from sxp.adapters.postgres.connection import (
    ConnectionFactory,
    DictConnection,
    connection_factory,
)
from sxp.adapters.postgres.migrate import apply_migrations
from sxp.config import Settings
from sxp.logs import configure_logging


@dataclass
class App:
    """Everything a step needs: settings, a connection factory and the object store."""

    settings: Settings
    database_uri: str
    connect: ConnectionFactory
    store: ObjectStore
    _closers: list[Any] = field(default_factory=list)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _cache: dict[str, Any] = field(default_factory=dict)

    def connect_as(self, role: str | None) -> DictConnection:
        """A connection switched to a service role (tests use this to prove grants)."""
        return connection_factory(self.database_uri, role)()

    def cached(self, name: str, build: Any) -> Any:
        """Build a long-lived helper once per App (provider clients, sandbox servers)."""
        with self._lock:
            if name not in self._cache:
                value = build()
                self._cache[name] = value
                if hasattr(value, "close"):
                    self._closers.append(value)
            return self._cache[name]

    def close(self) -> None:
        for closer in reversed(self._closers):
            closer.close()
        self._closers.clear()
        self._cache.clear()


def build_store(settings: Settings) -> ObjectStore:
    if settings.embedded_store:
        return LocalDirObjectStore(settings.spaces_dir, settings.spaces_bucket)
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "s3",
        endpoint_url=settings.spaces_endpoint,
        region_name=settings.spaces_region,
        aws_access_key_id=settings.spaces_key,
        aws_secret_access_key=settings.spaces_secret,
        config=Config(retries={"max_attempts": 5, "mode": "standard"},
                      s3={"addressing_style": "path"}),
    )
    store = S3ObjectStore(settings.spaces_bucket, client)
    store.ensure_bucket()
    return store


def bootstrap(settings: Settings | None = None, *, migrate: bool = False,
              configure_logs: bool = True) -> App:
    settings = settings or Settings()
    if configure_logs:
        configure_logging(settings.log_level)
    uri = settings.database_url or embedded_postgres_uri(settings.pgdata_dir)
    if migrate or settings.embedded_db:
        with psycopg.connect(uri) as conn:
            apply_migrations(conn, settings.migrations_path)
    return App(settings=settings, database_uri=uri,
               connect=connection_factory(uri, settings.db_role), store=build_store(settings))
