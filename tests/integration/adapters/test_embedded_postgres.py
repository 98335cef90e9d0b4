"""The embedded Postgres starts tuned for bulk work (checkpoints spaced out), its settings kept
in postgresql.auto.conf (so a restart keeps them), and tuning it again changes nothing."""

from __future__ import annotations

from pathlib import Path

import psycopg

from sxp.adapters.embedded import (
    BULK_WORK_SETTINGS,
    embedded_postgres_uri,
    stop_embedded_postgres,
    tune_for_bulk_work,
)


def _settings(uri: str) -> dict[str, str]:
    with psycopg.connect(uri) as conn:
        return {name: str(conn.execute(f"SHOW {name}").fetchone()[0])  # type: ignore[index]
                for name in BULK_WORK_SETTINGS}


def test_the_embedded_server_is_tuned_for_bulk_work(tmp_path: Path) -> None:
    pgdata = tmp_path / "pg"
    try:
        uri = embedded_postgres_uri(pgdata, "sxp_tuned")
        assert _settings(uri) == BULK_WORK_SETTINGS
        auto_conf = (pgdata / "postgresql.auto.conf").read_text()
        with psycopg.connect(uri) as conn:  # what differs from Postgres' own defaults is kept
            changed = [r[0] for r in conn.execute(
                "SELECT name FROM pg_settings WHERE name = ANY(%s) AND setting <> boot_val",
                (list(BULK_WORK_SETTINGS),))]
        assert {"max_wal_size", "checkpoint_timeout"} <= set(changed)
        assert all(f"{name} = '{BULK_WORK_SETTINGS[name]}'" in auto_conf for name in changed)
        tune_for_bulk_work(uri)
        assert (pgdata / "postgresql.auto.conf").read_text() == auto_conf
    finally:
        stop_embedded_postgres(pgdata)
