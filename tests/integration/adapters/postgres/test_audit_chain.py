"""`sxp audit verify` on real Postgres: the chain verifies whatever the session's time zone,
a writer cannot choose occurred_at, and a row rewritten by the table owner is named."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sxp.adapters.postgres.audit import record_event, verify_chain
from sxp.bootstrap import App
from sxp.config import Settings


def _events(app: App, n: int, zone: str) -> None:
    with app.connect() as conn:
        conn.execute(f"SET TIME ZONE '{zone}'")
        for i in range(n):
            record_event(conn, event_type="handoff", actor="t", service="test",
                         outcome="ok", batch_id=f"{zone}-{i}", details={"n": i})
        conn.commit()


def test_chain_verifies_across_time_zones_and_names_a_rewritten_row(app: App) -> None:
    _events(app, 3, "America/Denver")
    _events(app, 3, "Asia/Kolkata")
    for zone in ("UTC", "Pacific/Chatham"):
        with app.connect() as conn:
            conn.execute(f"SET TIME ZONE '{zone}'")
            check = verify_chain(conn)
        assert (check.rows, check.first_bad) == (6, None)
    with app.connect() as conn:  # the owner works around the triggers and rewrites a row
        conn.execute("ALTER TABLE audit.audit_log DISABLE TRIGGER audit_log_no_update")
        conn.execute("UPDATE audit.audit_log SET details = '{\"n\": 99}' WHERE id = 4")
        conn.execute("ALTER TABLE audit.audit_log ENABLE TRIGGER audit_log_no_update")
        conn.commit()
        check = verify_chain(conn)
    assert check.first_bad == 4 and "does not match" in str(check.reason)


def test_a_writer_cannot_choose_the_time(app: App) -> None:
    with app.connect() as conn:
        conn.execute(
            "INSERT INTO audit.audit_log (event_type, actor, service, schema_version, outcome,"
            " occurred_at) VALUES ('x', 'a', 's', 'audit.v1', 'ok', '2001-01-01')")
        row = conn.execute("SELECT occurred_at > now() - interval '1 minute' AS fresh"
                           " FROM audit.audit_log").fetchone()
        conn.commit()
    assert row is not None and row["fresh"]
    with app.connect() as conn:
        assert verify_chain(conn).first_bad is None


def test_sxp_audit_verify_exits_non_zero_naming_the_row(app: App, settings: Settings) -> None:
    _events(app, 2, "UTC")
    sxp = Path(sys.executable).parent / "sxp"
    env = {"DATABASE_URL": str(settings.database_dsn), "SXP_HOME": str(settings.home),
           "PATH": "/usr/bin:/bin", "SXP_LOG_LEVEL": "WARNING"}
    ok = subprocess.run([str(sxp), "audit", "verify"], env=env, capture_output=True, text=True)
    assert ok.returncode == 0 and "verified: 2 rows" in ok.stdout, ok.stderr
    with app.connect() as conn:
        conn.execute("ALTER TABLE audit.audit_log DISABLE TRIGGER audit_log_no_update")
        conn.execute("UPDATE audit.audit_log SET outcome = 'forged' WHERE id = 2")
        conn.commit()
    bad = subprocess.run([str(sxp), "audit", "verify"], env=env, capture_output=True, text=True)
    assert bad.returncode == 1 and "broken at row 2" in bad.stderr
