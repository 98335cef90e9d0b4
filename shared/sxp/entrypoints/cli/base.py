"""What every command shares: the exit codes, the one error shape, the consoles, opening the
App with the command line's log choice, and JSON output.

Exit codes: 0 ok; 1 the command ran and found failures (a run with failed files or dead
jobs, a broken audit chain, `doctor` with problems); 2 bad usage or configuration (refused
before anything ran), or input sxp refuses; 130 interrupted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import typer
from rich.console import Console

from sxp.bootstrap import App
from sxp.config import Settings

OK, FAILURES, USAGE = 0, 1, 2

# soft wrap: long lines (paths, URLs) stay whole for copy and paste; tables fit the width
console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


@dataclass
class CliState:
    verbose: bool = False


STATE = CliState()


class CliError(Exception):
    """A refusal with a message and a reason code (exit 2)."""

    def __init__(self, message: str, reason_code: str = "bad_usage", exit_code: int = USAGE):
        super().__init__(message)
        self.message, self.reason_code, self.exit_code = message, reason_code, exit_code


def settings() -> Settings:
    """The settings of this command line: `--verbose` also sends the JSON logs to stderr."""
    loaded = Settings()
    if STATE.verbose and loaded.log_to == "file":
        loaded = loaded.model_copy(update={"log_to": "both"})
    return loaded


@contextmanager
def open_app(given: Settings | None = None) -> Iterator[App]:
    from sxp.bootstrap import bootstrap

    app = bootstrap(given or settings())
    try:
        yield app
    finally:
        app.close()


def print_json(value: Any) -> None:
    """JSON on stdout, plain (no colour or wrapping), for scripts."""
    typer.echo(json.dumps(plain(value), indent=2, default=str))


def plain(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if hasattr(value, "__dataclass_fields__"):
        import dataclasses

        return dataclasses.asdict(value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
