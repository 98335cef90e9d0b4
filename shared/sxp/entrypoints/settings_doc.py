"""The README's table of settings, generated from the settings object (so the two cannot
drift; tests/unit/test_settings_doc.py compares them).

    python -m sxp.entrypoints.settings_doc README.md   # rewrites the table in place
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pydantic.fields import FieldInfo

from sxp.config import SANDBOX_KEYS, Settings

BEGIN = "<!-- settings: generated from sxp.config.Settings by `python -m " \
        "sxp.entrypoints.settings_doc README.md`; do not edit by hand -->"
END = "<!-- settings: end -->"


def settings_table() -> str:
    rows = ["| variable | meaning | default |", "|---|---|---|"]
    for field in Settings.model_fields.values():
        assert field.alias and field.description, f"{field.alias}: a setting needs a description"
        rows.append(f"| `{field.alias}` | {_cell(field.description)} | {_default(field)} |")
    return "\n".join(rows)


def _default(field: FieldInfo) -> str:
    value: Any = field.get_default(call_default_factory=True)
    if value is None:
        return "unset"
    if isinstance(value, SecretStr):
        secret = value.get_secret_value()
        return "the sandbox's key" if secret in SANDBOX_KEYS.values() else "set"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, dict | tuple | list):
        return f"`{json.dumps(value if not isinstance(value, tuple) else list(value))}`"
    return f"`{value}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def rewrite(readme: Path) -> bool:
    """Put the current table between the markers; True when the file changed."""
    text = readme.read_text()
    head, begin, rest = text.partition(BEGIN)
    _old, end, tail = rest.partition(END)
    if not begin or not end:
        raise SystemExit(f"{readme}: the settings markers are missing")
    updated = f"{head}{BEGIN}\n{settings_table()}\n{END}{tail}"
    if updated != text:
        readme.write_text(updated)
    return updated != text


if __name__ == "__main__":
    print("rewritten" if rewrite(Path(sys.argv[1])) else "up to date")
