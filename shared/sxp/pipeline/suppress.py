"""`sxp suppress import FILE`: opt-outs onto the suppression list, as keyed hashes only.

One subject per line: `handle:PLATFORM:HANDLE`, `email:ADDRESS`, `phone:NUMBER`, or a bare
value whose kind is guessed (an `@` is an e-mail, `PLATFORM:…` a handle, digits a phone).
Blank lines and lines starting with `#` are skipped. A line that is no identifier of its kind
is refused by line number (never echoed: it may be personal data); the others are added.
From then on a suppressed handle is not ingested into Tier 1 (counted as suppressed) and a
suppressed e-mail or phone is never exported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sxp.adapters.postgres import suppressions
from sxp.bootstrap import App
from sxp.domain.privacy import SUBJECT_KINDS, guess_kind, keyed_hash, normalized_subject
from sxp.errors import InputError


@dataclass
class SuppressImport:
    read: int = 0
    added: int = 0
    already: int = 0
    refused_lines: list[int] = field(default_factory=list)


def import_file(app: App, path: Path) -> SuppressImport:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read as UTF-8 text ({type(exc).__name__})",
                         "bad_suppress_file") from None
    key = app.privacy_key()
    result = SuppressImport()
    entries: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        result.read += 1
        prefix, _, rest = line.partition(":")
        kind, value = (prefix.lower(), rest) if prefix.lower() in SUBJECT_KINDS \
            else (guess_kind(line), line)
        try:
            entries[keyed_hash(key, kind, normalized_subject(kind, value))] = kind
        except ValueError:
            result.refused_lines.append(number)
    with app.connect() as conn, conn.transaction():
        result.added = suppressions.add(conn, entries.items(), "import")
    result.already = len(entries) - result.added
    return result


def suppression_counts(app: App) -> dict[str, dict[str, int]]:
    with app.connect() as conn:
        return suppressions.counts(conn)
