"""`sxp doctor`: the settings, the database, the bucket, each provider's and each consumer's
reachability and credentials, checked now and reported one line each.

Nothing here spends a credit or hands anything over: a provider is asked with a request its
API answers without charging (an unauthenticated probe tells reachable from refused), a
webhook receiver gets a plain GET, a Valkey server a PING.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from sxp.config import Settings

TIMEOUT_S = 5.0
# a request each provider's API answers without charging a credit
PROBES = {"skiptrace": ("GET", "/"), "apollo": ("GET", "/v1/auth/health")}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def check_everything(settings: Settings) -> list[Check]:
    checks = [Check("settings", True, f"SXP_ENV={settings.env}, home {settings.home}")]
    app = None
    try:
        from sxp.bootstrap import bootstrap

        app = bootstrap(settings)
    except Exception as exc:  # the database or the bucket is not there
        checks.append(Check("database and bucket", False, _reason(exc)))
        return checks
    try:
        checks.append(_database(app))
        checks.append(_bucket(app))
        for name in [p.strip() for p in settings.enrich_provider.split(",") if p.strip()]:
            checks.append(_provider(app, name))
        checks.extend(_consumers(app))
    finally:
        app.close()
    return checks


def _database(app: Any) -> Check:
    from sxp.adapters.postgres.migrate import pending_migrations

    try:
        with app.connect() as conn:
            version = conn.execute("SHOW server_version").fetchone()["server_version"]
            pending = pending_migrations(conn, app.settings.migrations_path)
    except Exception as exc:
        return Check("database", False, _reason(exc))
    if pending:
        return Check("database", False, f"Postgres {version}; {len(pending)} migration(s) "
                                        f"not applied ({pending[0]} …): run `sxp migrate`")
    where = "embedded" if app.settings.embedded_db else "DATABASE_URL"
    return Check("database", True, f"Postgres {version} ({where}), migrations applied")


def _bucket(app: Any) -> Check:
    probe = f"{app.settings.stage_prefix}.sxp-doctor"
    try:
        app.store.put_bytes(probe, b"ok")
        app.store.delete(probe)
        next(iter(app.store.list(app.settings.inbox_prefix)), None)
    except Exception as exc:
        return Check("bucket", False, _reason(exc))
    return Check("bucket", True, f"{app.store.url('')} readable and writable")


def _provider(app: Any, name: str) -> Check:
    from sxp.config import SANDBOX_KEYS

    settings = app.settings
    label = f"provider {name}"
    try:
        settings.check_provider(name)
    except Exception as exc:
        return Check(label, False, _reason(exc))
    base_url = getattr(settings, f"{name}_base_url", None)
    if base_url is None:
        return Check(label, True, "sandbox emulator (local runs only; set "
                                  f"{name.upper()}_BASE_URL and {name.upper()}_API_KEY)")
    key = settings.secret(f"{name}_api_key") or ""
    method, path = PROBES.get(name, ("GET", "/"))
    try:
        answer = httpx.request(method, base_url.rstrip("/") + path, timeout=TIMEOUT_S,
                               headers={"x-api-key": key, "authorization": f"Bearer {key}"})
    except httpx.HTTPError as exc:
        return Check(label, False, f"{base_url} unreachable: {type(exc).__name__}")
    if answer.status_code in (401, 403):
        return Check(label, False, f"{base_url} refused the key ({answer.status_code})")
    sandbox_key = key == SANDBOX_KEYS.get(name)
    return Check(label, not sandbox_key, f"{base_url} answered {answer.status_code}"
                 + (" (with the sandbox key)" if sandbox_key else ""))


def _consumers(app: Any) -> list[Check]:
    from sxp.pipeline.consumers import list_consumers

    checks = []
    for consumer in list_consumers(app):
        label = f"consumer {consumer.name} ({consumer.transport})"
        if consumer.state != "active":
            checks.append(Check(label, True, f"{consumer.state}: {consumer.state_reason or ''}"))
            continue
        checks.append(_consumer(app, consumer, label))
    return checks


def _consumer(app: Any, consumer: Any, label: str) -> Check:
    if consumer.transport == "webhook":
        url = consumer.settings["url"]
        try:
            answer = httpx.get(url, timeout=TIMEOUT_S)
        except httpx.HTTPError as exc:
            return Check(label, False, f"{url} unreachable: {type(exc).__name__}")
        return Check(label, True, f"{url} answered {answer.status_code}")
    if consumer.transport == "queue":
        try:
            import valkey

            url = app.settings.valkey_dsn()
            if url is None:
                return Check(label, True, "embedded Valkey (local runs only)")
            client = valkey.Valkey.from_url(url, socket_timeout=TIMEOUT_S)
            client.ping()
            client.close()  # type: ignore[no-untyped-call]
        except Exception as exc:
            return Check(label, False, _reason(exc))
        return Check(label, True, "Valkey answered PING")
    return Check(label, True, "reads from the bucket" if consumer.transport == "file"
                 else "reads from the API (a key bound to it)")


def _reason(exc: BaseException) -> str:
    from sxp.logs import scrub_text

    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return scrub_text(f"{type(exc).__name__}: {message}".splitlines()[0])[:300]
