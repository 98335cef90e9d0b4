"""Wire adapters from settings: the one place that does. Called by entrypoints; nothing here
runs at import time.

`bootstrap()` gives an `App`: settings, the database (a connection factory per role), the
object store, and the long-lived helpers steps ask it for by type (the ruleset, provider
adapters, each built once per App and closed with it).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

import psycopg

from sxp.adapters.embedded import embedded_postgres_uri
from sxp.adapters.objectstore.base import ObjectStore
from sxp.adapters.objectstore.localdir import LocalDirObjectStore
from sxp.adapters.objectstore.s3 import S3ObjectStore
from sxp.adapters.postgres.connection import (
    ConnectionFactory,
    DictConnection,
    connection_factory,
    connection_pool,
)
from sxp.adapters.postgres.migrate import apply_migrations
from sxp.config import Settings
from sxp.logs import configure_logging

if TYPE_CHECKING:
    from sxp.adapters.handoff.base import Transport
    from sxp.adapters.providers.base import EnrichmentProvider
    from sxp.domain.rules import Ruleset

T = TypeVar("T")
# the services that call enrichment providers: where deployed, they refuse to start without
# the providers' real settings (the API calls none and gets no provider keys)
PROVIDER_SERVICES = ("sxp-worker", "sxp-functions")


@dataclass
class App:
    """Everything a step needs: settings, a connection factory, the object store, and the
    helpers below."""

    settings: Settings
    database_uri: str
    connect: ConnectionFactory
    store: ObjectStore
    _closers: list[Any] = field(default_factory=list)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _built: dict[str, Any] = field(default_factory=dict)

    def connect_as(self, role: str | None) -> DictConnection:
        """A connection switched to a service role (tests use this to prove grants)."""
        return connection_factory(self.database_uri, role)()

    def ruleset(self) -> Ruleset:
        """The labeling rules file of these settings, read and validated once."""
        from sxp.adapters.rules_file import load_ruleset

        return self._once("ruleset", lambda: load_ruleset(self.settings))

    def provider(self, name: str, *, rate_per_s: float | None = None) -> EnrichmentProvider:
        """The adapter for provider `name`, built on first use (`rate_per_s` applies to that
        build). With `<name>_base_url` unset (the embedded default) the provider's sandbox
        emulator is started on loopback and the adapter points at it."""
        from sxp.adapters.providers.registry import build_resilient_provider, check_known

        check_known(name)
        self.settings.check_provider(name)
        base_url: str | None = getattr(self.settings, f"{name}_base_url")
        api_key = self.settings.secret(f"{name}_api_key") or ""
        if base_url is None:
            from sxp.sandbox import start_sandbox

            base_url = self._once(f"sandbox:{name}",
                                  lambda: start_sandbox(name, api_key=api_key)).base_url
        url: str = base_url
        return self._once(f"provider:{name}", lambda: build_resilient_provider(
            self.settings, self.connect, name, url, api_key, rate_per_s))

    def transport(self, name: str) -> Transport:
        """The handoff adapter of transport `name`, built on first use. A queue transport
        without SXP_VALKEY_URL (local runs only) gets an embedded Valkey on loopback."""
        from sxp.adapters.handoff.registry import EmbeddedValkey, build_transport

        valkey_url = None
        if name == "queue":
            valkey_url = self.settings.valkey_dsn() or self._once(
                "valkey", EmbeddedValkey).url
        return self._once(f"transport:{name}", lambda: build_transport(
            name, self.settings, self.store, valkey_url))

    def privacy_key(self) -> bytes:
        """The key of the keyed hashes of erased and suppressed subjects: SXP_PRIVACY_KEY, or
        locally a random key kept in SXP_HOME/privacy.key (made on first use, mode 0600)."""
        return self._once("privacy_key", self._load_privacy_key)

    def _load_privacy_key(self) -> bytes:
        from sxp.adapters.embedded import local_secret_file
        from sxp.errors import ConfigError

        given = self.settings.secret("privacy_key")
        if given:
            return given.encode()
        if self.settings.deployed:
            raise ConfigError(f"SXP_ENV={self.settings.env} needs SXP_PRIVACY_KEY (the key"
                              " of erased and suppressed subjects' hashes)",
                              "privacy_key_missing")
        return local_secret_file(self.settings.home / "privacy.key")

    @contextlib.contextmanager
    def pooled(self) -> Iterator[DictConnection]:
        """A connection from this App's pool (built on first use), for short reads; the
        transaction ends (commit, or rollback on error) when the block does."""
        pool = self._once("pool", lambda: connection_pool(
            self.database_uri, self.settings.db_role, max_size=self.settings.db_pool_size))
        with pool.connection() as conn:
            yield cast(DictConnection, conn)  # the pool's connections have dict rows

    def once(self, name: str, build: Callable[[], T]) -> T:
        """A helper an entrypoint builds once per App (the API's resolver); closed with it."""
        return self._once(f"entrypoint:{name}", build)

    def _once(self, name: str, build: Callable[[], T]) -> T:
        with self._lock:
            if name not in self._built:
                value = build()
                self._built[name] = value
                if hasattr(value, "close"):
                    self._closers.append(value)
            built: T = self._built[name]
            return built

    def close(self) -> None:
        for closer in reversed(self._closers):
            closer.close()
        self._closers.clear()
        self._built.clear()


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
        aws_secret_access_key=settings.secret("spaces_secret"),
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
        configure_logs_of(settings)
    if settings.service in PROVIDER_SERVICES:
        for name in settings.enrich_provider.split(","):
            settings.check_provider(name.strip())
    uri = settings.database_dsn or embedded_postgres_uri(settings.pgdata_dir)
    if migrate or settings.embedded_db:
        with psycopg.connect(uri) as conn:
            apply_migrations(conn, settings.migrations_path)
    return App(settings=settings, database_uri=uri,
               connect=connection_factory(uri, settings.db_role), store=build_store(settings))


def configure_logs_of(settings: Settings) -> None:
    configure_logging(settings.log_level, file=settings.log_file,
                      stderr=settings.log_to != "file")


def migrate_database(settings: Settings | None = None) -> None:
    """Apply pending migrations, and nothing else: the pre-deploy job needs only the database
    (no bucket, no provider), so it gets no other secret."""
    settings = settings or Settings()
    configure_logs_of(settings)
    uri = settings.database_dsn or embedded_postgres_uri(settings.pgdata_dir)
    with psycopg.connect(uri) as conn:
        apply_migrations(conn, settings.migrations_path)
