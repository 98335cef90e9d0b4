"""The migrations give Tier 1 exactly the columns and types the profile model says."""

from __future__ import annotations

from sxp.adapters.postgres.tier1_rows import COLUMN_TYPES, ROW_COLUMNS
from sxp.bootstrap import App

PG_NAMES = {"text": "text", "bool": "boolean", "int8": "bigint",
            "timestamptz": "timestamp with time zone", "jsonb": "jsonb"}


def test_tier1_table_matches_the_profile_model(app: App) -> None:
    with app.connect() as conn:
        rows = conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = 'social' AND table_name = 'raw_social_profiles'").fetchall()
    table = {r["column_name"]: r["data_type"] for r in rows}
    expected = {c: PG_NAMES[t] for c, t in zip(ROW_COLUMNS, COLUMN_TYPES, strict=True)}
    assert {c: table.get(c) for c in expected} == expected
    # besides them only the surrogate key and what the merge maintains
    assert set(table) - set(expected) <= {"id", "updated_at", "created_at"}, set(table)
