"""One profile schema: `sxp.domain.profiles.Profile` is the source; the contract's profile,
the staged line and Tier 1's COPY columns follow it (the native side in tests/unit/native,
the migration in tests/integration/adapters/postgres/test_tier1_schema.py)."""

from __future__ import annotations

from sxp.adapters.postgres.tier1_rows import COLUMN_TYPES, ROW_COLUMNS, column_type
from sxp.domain import bundle
from sxp.domain.profiles import PROFILE_FIELDS, Profile, PublicProfile


def test_the_model_fields_are_the_one_field_order() -> None:
    assert sorted(Profile.model_fields) == sorted(PROFILE_FIELDS)
    assert len(set(PROFILE_FIELDS)) == len(PROFILE_FIELDS)


def test_the_contract_profile_is_the_models_public_part() -> None:
    assert issubclass(bundle.Profile, PublicProfile) and issubclass(Profile, PublicProfile)
    public = [f for f in PROFILE_FIELDS if f not in ("platform", "handle", "extra",
                                                     "scraped_at_known", "content_hash")]
    assert list(bundle.Profile.model_fields) == public


def test_copy_columns_are_the_model_fields_then_the_arrival_columns() -> None:
    assert (*PROFILE_FIELDS, "source_file_id", "first_seen", "last_seen") == ROW_COLUMNS
    assert dict(zip(ROW_COLUMNS, COLUMN_TYPES, strict=True)) == {
        **dict.fromkeys(["platform", "handle", "platform_user_id", "display_name", "bio",
                         "bio_url", "location", "avatar_url", "content_hash"], "text"),
        "is_verified": "bool", "bio_has_contact": "bool", "scraped_at_known": "bool",
        **dict.fromkeys(["followers", "following", "posts", "likes", "source_file_id"], "int8"),
        **dict.fromkeys(["account_created_at", "scraped_at", "first_seen", "last_seen"],
                        "timestamptz"),
        "extra": "jsonb"}
    assert column_type("extra") == "jsonb"
