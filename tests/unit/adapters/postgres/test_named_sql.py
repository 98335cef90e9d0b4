"""Named queries: every `query(module, name)` the repositories ask for is in its .sql file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sxp.adapters.postgres.named_sql import queries, query

POSTGRES = Path(__file__).resolve().parents[4] / "shared" / "sxp" / "adapters" / "postgres"
CALL = re.compile(r'query\("(\w+)", "(\w+)"\)')


def test_every_query_a_repository_names_exists_and_is_not_empty() -> None:
    calls = {m.groups() for p in POSTGRES.glob("*.py") for m in CALL.finditer(p.read_text())}
    assert len(calls) > 30
    for module, name in sorted(calls):
        assert query(module, name).strip(), (module, name)


def test_every_named_query_is_used() -> None:
    """Named in a `query(...)` call, or (status.py picks them by name) as a string literal of
    the repository of the same name."""
    calls = {m.groups() for p in POSTGRES.glob("*.py") for m in CALL.finditer(p.read_text())}
    for sql_file in (POSTGRES / "sql").glob("*.sql"):
        source = (POSTGRES / f"{sql_file.stem}.py").read_text()
        for name in queries(sql_file.stem):
            assert (sql_file.stem, name) in calls or f'"{name}"' in source, (
                f"{sql_file.name}: {name} is never used")


def test_comments_are_left_out_and_an_unknown_name_is_a_clear_error() -> None:
    assert "--" not in query("cards", "upsert_cards")
    with pytest.raises(KeyError, match="no query 'nope' in sql/cards.sql"):
        query("cards", "nope")
