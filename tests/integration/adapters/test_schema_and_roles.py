from __future__ import annotations

import psycopg
import pytest

from sxp.adapters.postgres.audit import record_event
from sxp.bootstrap import App


def test_ingest_role_cannot_read_contact_tier(app: App) -> None:
    with app.connect_as("sxp_ingest") as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("SELECT * FROM contact.contacts").fetchall()


def test_ingest_role_writes_tier1(app: App) -> None:
    with app.connect_as("sxp_ingest") as conn:
        conn.execute("SELECT count(*) FROM social.raw_social_profiles").fetchone()


@pytest.mark.parametrize("statement", [
    "UPDATE audit.audit_log SET outcome = 'x'",
    "DELETE FROM audit.audit_log",
    "TRUNCATE audit.audit_log",
])
def test_audit_log_is_append_only(app: App, statement: str) -> None:
    with app.connect_as("sxp_export") as conn:
        assert record_event(conn, event_type="handoff", actor="test", service="export",
                            outcome="ok", batch_id="b1", checksum="abc")
        conn.commit()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)
    # even the owner cannot rewrite history
    with app.connect() as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement)


def test_audit_rows_are_hash_chained_and_recorded_once(app: App) -> None:
    with app.connect() as conn:
        assert record_event(conn, event_type="enrichment", actor="t", service="s",
                            outcome="ok", batch_id="b1")
        assert not record_event(conn, event_type="enrichment", actor="t", service="s",
                                outcome="ok", batch_id="b1")
        assert record_event(conn, event_type="handoff", actor="t", service="s",
                            outcome="ok", batch_id="b1")
        rows = conn.execute(
            "SELECT prev_checksum, chain_hash FROM audit.audit_log ORDER BY id").fetchall()
    assert len(rows) == 2
    assert rows[0]["prev_checksum"] == ""
    assert rows[1]["prev_checksum"] == rows[0]["chain_hash"]
