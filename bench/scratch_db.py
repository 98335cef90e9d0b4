"""A scratch database for a benchmark: DATABASE_URL's server, or a pgserver in a temp folder.

    with scratch_database(tmp) as uri:   # migrated, dropped on exit
        ...
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from sxp.adapters.embedded import tune_for_bulk_work
from sxp.adapters.postgres.migrate import apply_migrations
from sxp.config import repo_root


def with_database(uri: str, database: str) -> str:
    base, _, query = uri.partition("?")
    head, _, _old = base.rpartition("/")
    return f"{head}/{database}" + (f"?{query}" if query else "")


@contextmanager
def scratch_database(tmp: Path, *, migrate: bool = True) -> Iterator[str]:
    admin = os.environ.get("DATABASE_URL")
    server = None
    if admin is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pgserver

            server = pgserver.get_server(tmp / "pg", cleanup_mode="stop")
        admin = server.get_uri()
        tune_for_bulk_work(admin)  # as the embedded defaults run it
    database = f"sxp_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    uri = with_database(admin, database)
    try:
        if migrate:
            with psycopg.connect(uri) as conn:
                apply_migrations(conn, repo_root() / "migrations")
        yield uri
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        if server is not None:
            server.cleanup()
