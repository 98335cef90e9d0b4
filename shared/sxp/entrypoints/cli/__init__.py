"""The `sxp` command line (Typer): thin commands that parse, open the App, call one step or
query, and print. `main()` turns every failure into a message and an exit code (`base`),
never a traceback; the traceback of an unexpected one goes to the log file."""

from __future__ import annotations

import sys

import typer

from sxp.entrypoints.cli import admin, handoff, operate, pipeline
from sxp.entrypoints.cli.base import STATE, USAGE, CliError, err_console
from sxp.errors import BundleInvalid, ConfigError, InputError, SxpError
from sxp.logs import get_logger, scrub_text

log = get_logger("cli")

app = typer.Typer(
    name="sxp", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="Social XPress Engine: social audience pools to execution-ready lead assets.\n\n"
         "Exit codes: 0 ok; 1 the command ran and found failures; 2 bad usage or "
         "configuration (nothing ran); 130 interrupted.")


@app.callback()
def _options(verbose: bool = typer.Option(
        False, "--verbose", "-v",
        help="also write the JSON logs to stderr (they always go to SXP_HOME/logs/sxp.log)")
             ) -> None:
    STATE.verbose = verbose


for module in (pipeline, operate, admin, handoff):
    module.register(app)


def main(argv: list[str] | None = None) -> int:
    _log_to_the_home()
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="sxp", standalone_mode=False)
    except typer.Exit as done:
        return int(done.exit_code)
    except typer.TyperException as usage:  # a bad option or value: refused before anything ran
        usage.show(file=sys.stderr)  # type: ignore[attr-defined]
        return int(getattr(usage, "exit_code", USAGE))
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("interrupted")
        return 130
    except CliError as refused:
        return _error(refused.reason_code, refused.message, refused.exit_code)
    except (ConfigError, InputError, BundleInvalid) as refused:
        return _error(refused.reason_code, refused.message, USAGE)
    except SxpError as failed:
        return _error(failed.reason_code, failed.message, 1)
    except OSError as failed:
        where = f": {failed.filename}" if failed.filename else ""
        return _error("os_error", f"{failed.strerror or failed}{where}", 1)
    except Exception as unexpected:  # a bug: the message here, the traceback in the log
        log.exception("unexpected error in the command line")
        return _error("unexpected", f"{type(unexpected).__name__}: {unexpected} (the "
                      "traceback is in the log file, SXP_HOME/logs/sxp.log)", 1)
    return int(result or 0)


def _log_to_the_home() -> None:
    """Logs of the command line itself (before any App) go where the App's will."""
    from sxp.bootstrap import configure_logs_of
    from sxp.config import Settings

    try:
        configure_logs_of(Settings())
    except Exception:  # bad settings: the command reports them; log to stderr meanwhile
        from sxp.logs import configure_logging

        configure_logging("WARNING")


def _error(code: str, message: str, exit_code: int) -> int:
    err_console.print(f"sxp: error [{code}]: {scrub_text(message)}", markup=False,
                      style="bold red")
    return exit_code
