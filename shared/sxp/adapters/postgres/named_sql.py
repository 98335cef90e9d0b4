"""Named queries kept in `.sql` files beside the repositories (procrastinate's style).

`sql/<module>.sql` holds queries each introduced by a `-- name: <query>` line; `query(module,
name)` returns one, read once per process on first use.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import LiteralString


@functools.cache
def queries(module: str) -> dict[str, str]:
    text = resources.files("sxp.adapters.postgres").joinpath(f"sql/{module}.sql").read_text()
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("-- name:"):
            current = found.setdefault(line.removeprefix("-- name:").strip(), [])
        elif current is not None and line.strip() and not line.lstrip().startswith("--"):
            current.append(line)
    return {name: "\n".join(lines) for name, lines in found.items()}


def query(module: str, name: str) -> LiteralString:
    try:
        text = queries(module)[name]
    except KeyError:
        raise KeyError(f"no query {name!r} in sql/{module}.sql") from None
    return text  # our own files, never user input
