"""One profile schema: `sxp.domain.profiles.Profile` is the source; the contract's profile,
the staged line and Tier 1's COPY columns follow it (the native side in tests/unit/native,
the migration in tests/integration/adapters/postgres/test_tier1_schema.py)."""

from __future__ import annotations

from sxp.adapters.postgres.tier1_rows import COLUMN_TYPES, ROW_COLUMNS, column_type
from sxp.domain import bundle
from sxp.domain.profiles import PROFILE_FIELDS, Profile

# Tier 1 fields the contract carries elsewhere (platform and handle at the top of a record) or
# keeps to itself (extra, content_hash)
NOT_IN_CONTRACT_PROFILE = ("platform", "handle", "extra", "content_hash")


def test_the_contract_profile_is_the_model_less_its_keys_and_internals() -> None:
    expected = [f for f in PROFILE_FIELDS if f not in NOT_IN_CONTRACT_PROFILE]
    assert list(bundle.Profile.model_fields) == expected
    for name in expected:
        ours, theirs = Profile.model_fields[name], bundle.Profile.model_fields[name]
        assert (theirs.annotation, theirs.default, theirs.metadata) == (
            ours.annotation, ours.default, ours.metadata), name


def test_copy_columns_are_the_model_fields_then_the_arrival_columns() -> None:
    assert (*PROFILE_FIELDS, "source_file_id", "first_seen", "last_seen") == ROW_COLUMNS
    assert dict(zip(ROW_COLUMNS, COLUMN_TYPES, strict=True)) == {
        **dict.fromkeys(["platform", "handle", "platform_user_id", "display_name", "bio",
                         "bio_url", "location", "avatar_url", "content_hash"], "text"),
        "is_verified": "bool", "bio_has_contact": "bool",
        **dict.fromkeys(["followers", "following", "posts", "likes", "source_file_id"], "int8"),
        **dict.fromkeys(["account_created_at", "scraped_at", "first_seen", "last_seen"],
                        "timestamptz"),
        "extra": "jsonb"}
    assert column_type("extra") == "jsonb"
