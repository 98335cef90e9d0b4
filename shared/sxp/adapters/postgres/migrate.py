"""Apply numbered SQL migrations under an advisory lock, recording each with its checksum."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from sxp.errors import ConfigError

LOCK_KEY = 0x5358_5001  # "SXP" migrations


@dataclass(frozen=True)
class Migration:
    version: str
    path: Path
    checksum: str


def discover(directory: Path) -> list[Migration]:
    if not directory.is_dir():
        raise ConfigError(f"migrations directory not found: {directory}")
    found = []
    for path in sorted(directory.glob("*.sql")):
        checksum = hashlib.sha256(path.read_bytes()).hexdigest()
        found.append(Migration(path.stem, path, checksum))
    return found


def apply_migrations(conn: psycopg.Connection[Any], directory: Path) -> list[str]:
    """Apply pending migrations in order; return the versions applied. Safe to run concurrently."""
    conn.autocommit = True
    conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS public.sxp_migrations ("
            " version text PRIMARY KEY, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        applied = {
            row[0] if isinstance(row, tuple) else row["version"]: (
                row[1] if isinstance(row, tuple) else row["checksum"])
            for row in conn.execute("SELECT version, checksum FROM public.sxp_migrations")
        }
        done: list[str] = []
        for mig in discover(directory):
            if mig.version in applied:
                if applied[mig.version] != mig.checksum:
                    raise ConfigError(
                        f"migration {mig.version} changed after it was applied", "migration_drift")
                continue
            with conn.transaction():
                conn.execute(mig.path.read_text())
                conn.execute(
                    "INSERT INTO public.sxp_migrations (version, checksum) VALUES (%s, %s)",
                    (mig.version, mig.checksum))
            done.append(mig.version)
        return done
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))


def pending_migrations(conn: psycopg.Connection[Any], directory: Path) -> list[str]:
    """The versions in `directory` the database has not applied (read-only)."""
    exists = conn.execute("SELECT to_regclass('public.sxp_migrations') IS NOT NULL").fetchone()
    if not exists or not next(iter(exists.values() if isinstance(exists, dict) else exists)):
        return [m.version for m in discover(directory)]
    rows = conn.execute("SELECT version FROM public.sxp_migrations").fetchall()
    applied = {r["version"] if isinstance(r, dict) else r[0] for r in rows}
    return [m.version for m in discover(directory) if m.version not in applied]
