"""API keys, the audit log and labeling rules files."""

from __future__ import annotations

from pathlib import Path

import typer

from sxp.entrypoints.cli.base import FAILURES, OK, USAGE, err_console, open_app, print_json

SCOPES_HELP = ("comma-separated: imports:write, imports:read, cards:read, contacts:read, "
               "batches:read, admin")


def register(app: typer.Typer) -> None:
    keys = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)
    keys.command("create")(create_key)
    keys.command("list")(list_keys)
    keys.command("revoke")(revoke_key)
    app.add_typer(keys, name="keys")
    audit = typer.Typer(help="The audit log.", no_args_is_help=True)
    audit.command("verify")(verify_audit)
    app.add_typer(audit, name="audit")
    rules = typer.Typer(help="Labeling rules files.", no_args_is_help=True)
    rules.command("check")(check_rules)
    rules.command("diff")(diff_rules)
    app.add_typer(rules, name="rules")


def create_key(name: str = typer.Option(..., help="a name for the key"),
               scopes: str = typer.Option(..., help=SCOPES_HELP),
               consumer: str | None = typer.Option(
                   None, help="bind the key to a consumer: it sees only that consumer's "
                              "batches")) -> int:
    """Create a key; its token is printed once."""
    from sxp.entrypoints import keys as key_commands

    with open_app() as app:
        chosen = [s.strip() for s in scopes.split(",") if s.strip()]
        typer.echo(key_commands.create_key(app, name, chosen, consumer=consumer))
    return OK


def list_keys() -> int:
    """Every key: name, scopes, created, last used, revoked (never a token)."""
    from sxp.entrypoints import keys as key_commands

    with open_app() as app:
        print_json(key_commands.list_keys(app))
    return OK


def revoke_key(name: str = typer.Argument(..., help="the key's name")) -> int:
    """Revoke a key (in effect within 5 s on every instance)."""
    from sxp.entrypoints import keys as key_commands

    with open_app() as app:
        key_commands.revoke_key(app, name)
    typer.echo(f"revoked {name}")
    return OK


def verify_audit() -> int:
    """Recompute the audit log's hash chain; exit 1 naming the first row that does not
    match."""
    from sxp.adapters.postgres.audit import verify_chain

    with open_app() as app, app.connect() as conn:
        check = verify_chain(conn)
    if check.first_bad is not None:
        err_console.print(f"audit chain broken at row {check.first_bad}: {check.reason}"
                          f" ({check.rows} rows checked)", markup=False)
        return FAILURES
    typer.echo(f"audit chain verified: {check.rows} rows")
    return OK


def check_rules(file: Path = typer.Argument(..., help="a rules file (JSON)")) -> int:
    """Validate a rules file; exit 2 listing each mistake (no database needed)."""
    from sxp.entrypoints.rules import check_rules_file

    return check_rules_file(file)


def diff_rules(file: Path = typer.Argument(..., help="a rules file (JSON)")) -> int:
    """What a rules file would change in the current pool and the next gate pass (changes
    nothing)."""
    from sxp.entrypoints.rules import diff_rules_file

    with open_app() as app:
        code = diff_rules_file(app, file)
    return USAGE if code == USAGE else code
