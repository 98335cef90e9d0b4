"""`sxp keys create | list | revoke`: API keys for the HTTP API and the web functions.

`create` prints the token once; Postgres keeps only the hash of its secret."""

from __future__ import annotations

from typing import Any

from sxp.adapters.postgres import api_keys as repo
from sxp.adapters.postgres import consumers
from sxp.bootstrap import App
from sxp.domain.api_keys import check_name, check_scopes, new_token
from sxp.errors import InputError


def create_key(app: App, name: str, scopes: list[str], *, consumer: str | None = None) -> str:
    """The new key's token (shown once). A key bound to a consumer sees only its batches."""
    try:
        name, scopes = check_name(name), check_scopes(scopes)
    except ValueError as exc:
        raise InputError(str(exc), "bad_key_request") from None
    token, key_id, secret_sha256 = new_token()
    with app.connect() as conn, conn.transaction():
        consumer_id = None
        if consumer is not None:
            bound = consumers.by_name(conn, consumer)
            if bound is None or bound.state == "removed":
                raise InputError(f"no consumer is named {consumer!r}", "unknown_consumer")
            consumer_id = bound.id
        if not repo.create(conn, name=name, key_id=key_id, secret_sha256=secret_sha256,
                           scopes=scopes, consumer_id=consumer_id):
            raise InputError(f"a key named {name!r} exists already", "key_exists")
    return token


def list_keys(app: App) -> list[dict[str, Any]]:
    with app.connect() as conn:
        keys = repo.all_keys(conn)
    return [{"name": k.name, "key_id": k.key_id, "scopes": k.scopes,
             "created_at": k.created_at.isoformat(),
             "last_used_at": k.last_used_at.isoformat() if k.last_used_at else None,
             "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None} for k in keys]


def revoke_key(app: App, name: str) -> None:
    with app.connect() as conn, conn.transaction():
        if not repo.revoke(conn, name):
            raise InputError(f"no live key is named {name!r}", "unknown_key")
