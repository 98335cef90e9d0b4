"""Embedded defaults: a pgserver Postgres under SXP_HOME, started on first use and left running;
local secrets kept in files there."""

from __future__ import annotations

import os
from pathlib import Path

from sxp.errors import ConfigError
from sxp.logs import get_logger

log = get_logger("embedded")

# The embedded server does bulk work on one machine: a million cards labeled or gated is a
# million rows rewritten. Postgres' defaults (1 GB of WAL between checkpoints) checkpoint every
# few seconds under that, each time writing whole pages again; these space checkpoints out.
# WAL stays uncompressed: pglz (the only method this build has) spends the CPU a 2-core
# machine lacks on every whole page written after a checkpoint — 10,000 profiles dropped on a
# million-profile pool touch most pages of Tier 1's key index, and compressing their images
# made the insert five times slower (0.39 s against 0.085 s).
# Settings a reload applies (no restart). A managed Postgres is tuned by its provider.
BULK_WORK_SETTINGS = {"max_wal_size": "4GB", "checkpoint_timeout": "15min",
                      "wal_compression": "off"}


def embedded_postgres_uri(pgdata: Path, database: str = "sxp") -> str:
    """Start (or reuse) the pgserver cluster in `pgdata` and return a URI for `database`."""
    os.environ.setdefault("XDG_RUNTIME_DIR", str(pgdata.parent))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from pgserver import get_server  # type: ignore[attr-defined]
        except ImportError as exc:
            raise ConfigError("DATABASE_URL is not set and the embedded Postgres is not "
                              "installed (pip install 'sxp[embedded]')") from exc

        pgdata.mkdir(parents=True, exist_ok=True)
        server = get_server(pgdata, cleanup_mode=None)
    admin_uri = server.get_uri()
    tune_for_bulk_work(admin_uri)
    _ensure_database(admin_uri, database)
    return str(server.get_uri(database))


def tune_for_bulk_work(admin_uri: str) -> None:
    """Give an embedded server `BULK_WORK_SETTINGS` (ALTER SYSTEM and a reload; idempotent)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_uri, autocommit=True) as conn:
        current = {str(name): str(value) for name, value in conn.execute(
            "SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(%s)",
            (list(BULK_WORK_SETTINGS),)).fetchall()}
        changed = [name for name, value in BULK_WORK_SETTINGS.items()
                   if current.get(name) != value]
        for name in changed:
            conn.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(
                sql.Identifier(name), sql.Literal(BULK_WORK_SETTINGS[name])))
        if changed:
            conn.execute("SELECT pg_reload_conf()")


def local_secret_file(path: Path) -> bytes:
    """32 random bytes kept in `path` (made once, readable by this user only)."""
    if not path.exists():
        import secrets
        import tempfile

        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")  # mode 0600
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(32))
        try:
            os.link(tmp, path)  # atomic: of two processes at once, one key wins
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return path.read_bytes()


def _ensure_database(admin_uri: str, database: str) -> None:
    import psycopg

    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                              (database,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{database}"')
            log.info("created embedded database", extra={"database": database})


def embedded_postgres_pid(pgdata: Path) -> int | None:
    """The embedded Postgres' process id while it runs (from its postmaster.pid)."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def stop_embedded_postgres(pgdata: Path, timeout_s: float = 30.0) -> bool:
    """Stop the embedded Postgres of `pgdata` (SIGINT: Postgres' fast shutdown, which rolls
    back open transactions and shuts down cleanly); False when it was not running."""
    import signal
    import time

    pid = embedded_postgres_pid(pgdata)
    if pid is None:
        return False
    os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + timeout_s
    while embedded_postgres_pid(pgdata) == pid and time.monotonic() < deadline:
        time.sleep(0.1)
    if embedded_postgres_pid(pgdata) == pid:
        raise ConfigError(f"the embedded Postgres (pid {pid}) did not stop in {timeout_s:.0f} s",
                          "embedded_postgres_stuck")
    log.info("embedded postgres stopped", extra={"pgdata": str(pgdata)})
    return True
