"""The database roles the deploy specs use, on real Postgres: each service can do its work and
nothing more; no runtime role can change the audit log or the credit ledger."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
import yaml

from sxp.bootstrap import App, bootstrap
from sxp.config import Settings, repo_root
from sxp.entrypoints.demo import sample_files
from sxp.pipeline.run import run_pipeline


def deploy_roles() -> set[str]:
    """Every SXP_DB_ROLE the App Platform specs and project.yml give a component."""
    roles = set()
    for env in ("dev", "stage", "prod"):
        spec = yaml.safe_load((repo_root() / f"deploy/social-xpress/{env}.yaml").read_text())
        for kind in ("services", "workers", "jobs", "functions"):
            for component in spec.get(kind) or []:
                roles |= {e["value"] for e in component["envs"] if e["key"] == "SXP_DB_ROLE"}
    project = yaml.safe_load((repo_root() / "project.yml").read_text())
    roles.add(project["environment"]["SXP_DB_ROLE"])
    return roles


ROLES = sorted(deploy_roles())


def test_the_specs_name_one_role_per_runtime_service() -> None:
    assert ROLES == ["sxp_api_svc", "sxp_functions_svc", "sxp_worker_svc"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("statement", [
    "UPDATE audit.audit_log SET outcome = 'x'",
    "DELETE FROM audit.audit_log",
    "TRUNCATE audit.audit_log",
    "ALTER TABLE audit.audit_log DISABLE TRIGGER audit_log_no_update",
    "ALTER TABLE audit.audit_log ADD COLUMN forged text",
    "UPDATE execution.credit_ledger SET credits = 0",
    "DELETE FROM execution.credit_ledger",
])
def test_no_runtime_role_can_change_history(app: App, role: str, statement: str) -> None:
    with app.connect_as(role) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement)


@pytest.mark.parametrize("role", ROLES)
def test_runtime_roles_own_nothing_and_are_not_privileged(app: App, role: str) -> None:
    with app.connect() as conn:
        owned = conn.execute("SELECT count(*) AS n FROM pg_class c JOIN pg_roles r"
                             " ON r.oid = c.relowner WHERE r.rolname = %s", (role,)).fetchone()
        flags = conn.execute("SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls"
                             " FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
    assert owned is not None and owned["n"] == 0
    assert flags is not None and not any(flags.values())


def test_the_api_role_reads_but_writes_no_tier(app: App) -> None:
    with app.connect_as("sxp_api_svc") as conn:
        for table in ("social.raw_social_profiles", "execution.lead_cards", "contact.contacts"):
            conn.execute(f"SELECT count(*) FROM {table}").fetchone()
        for statement in ("DELETE FROM social.raw_social_profiles",
                          "UPDATE execution.lead_cards SET persona = 'x'",
                          "DELETE FROM contact.contacts",
                          "INSERT INTO access.api_keys (key_id, name, secret_sha256, scopes)"
                          " VALUES ('k', 'n', '\\x00', '{admin}')"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
            conn.rollback()


def function_roles() -> dict[str, str]:
    """The narrower role project.yml gives a function (SET ROLE from the functions' user)."""
    project = yaml.safe_load((repo_root() / "project.yml").read_text())
    (package,) = project["packages"]
    return {f["name"]: f["environment"]["SXP_DB_ROLE"] for f in package["functions"]
            if "SXP_DB_ROLE" in f.get("environment", {})}


def test_functions_narrow_their_role_to_the_step_they_run(app: App) -> None:
    roles = function_roles()
    assert roles["ingest"] == roles["scan"] == "sxp_ingest"
    assert roles["import"] == roles["upload"] == roles["status"] == "sxp_api"
    with app.connect_as("sxp_functions_svc") as conn:
        for role in set(roles.values()):  # the functions' user may take each of them
            conn.execute(f"SET ROLE {role}")
            conn.execute("RESET ROLE")
        conn.execute("SELECT count(*) FROM access.api_keys").fetchone()  # web functions: keys
    with app.connect_as(roles["ingest"]) as conn, pytest.raises(
            psycopg.errors.InsufficientPrivilege):
        conn.execute("SELECT * FROM contact.contacts").fetchall()


def test_the_ingest_step_role_cannot_read_tier2(app: App) -> None:
    with app.connect_as("sxp_ingest") as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("SELECT * FROM contact.contacts").fetchall()


def test_the_worker_role_runs_the_whole_pipeline(settings: Settings, tmp_path: Path) -> None:
    owner = bootstrap(settings)
    try:
        for path in sample_files()[:2]:
            owner.store.put_file(f"inbox/demo/{path.name}", path)
    finally:
        owner.close()
    worker = bootstrap(settings.model_copy(update={"db_role": "sxp_worker_svc"}))
    try:
        result = run_pipeline(worker, max_idle_wait_s=5)
        assert result.drained.dead == 0 and result.drained.failed == 0, result
        with worker.connect() as conn:
            row = conn.execute("SELECT count(*) AS n FROM execution.batch_cards"
                               " WHERE action = 'record'").fetchone()
        assert row is not None and row["n"] > 0
    finally:
        worker.close()


def test_the_ingest_functions_role_scans_and_ingests(settings: Settings) -> None:
    from sxp.pipeline.runner import drain
    from sxp.pipeline.scan import scan

    owner = bootstrap(settings)
    try:
        owner.store.put_bytes("inbox/f.jsonl", b'{"platform": "x", "handle": "narrow_one"}\n')
    finally:
        owner.close()
    narrow = bootstrap(settings.model_copy(update={"db_role": function_roles()["ingest"]}))
    try:
        assert scan(narrow).registered == 1
        assert drain(narrow, kinds=["ingest"], max_idle_wait_s=0).done == 1
        with narrow.connect() as conn:
            row = conn.execute("SELECT count(*) AS n FROM social.raw_social_profiles").fetchone()
        assert row is not None and row["n"] == 1
    finally:
        narrow.close()
