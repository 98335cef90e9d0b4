"""The one normalized profile model (Tier 1 row and staged `normalized/*.jsonl` record).

Source shapes (X, TikTok, Threads, generic) are first mapped to a flat dict with the generic
field names (`MappedRow`); `profile_builder.build_profile` then normalizes and quality-checks
it. The hot path works on plain dicts in `PROFILE_FIELDS` order; `Profile` validates the same
record at every boundary that reads it back (staged JSONL, tests, downstream steps).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

PROFILE_SCHEMA_VERSION = "profile.v1"
MappedRow = dict[str, Any]


class PublicProfile(BaseModel):
    """The profile's public fields, as the Lead Card Batch contract hands them on
    (`sxp.domain.bundle.Profile`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    platform_user_id: str | None = None
    display_name: str | None = None
    bio: str | None = None
    bio_url: str | None = None
    location: str | None = None
    avatar_url: str | None = None
    is_verified: bool = False
    followers: int | None = Field(None, ge=0)
    following: int | None = Field(None, ge=0)
    posts: int | None = Field(None, ge=0)
    likes: int | None = Field(None, ge=0)
    account_created_at: datetime | None = None
    scraped_at: datetime
    bio_has_contact: bool = False


class Profile(PublicProfile):
    """A public social profile, normalized, PII-free (no e-mail, no phone number)."""

    platform: str = Field(pattern=r"^(x|tiktok|threads)$")
    handle: str = Field(min_length=1, max_length=30)
    extra: dict[str, Any] = Field(default_factory=dict)
    # false: the row had no scrape time and `scraped_at` is when sxp received it
    scraped_at_known: bool = True
    content_hash: str


# The one field order of a profile: staged lines, Tier 1's COPY columns and the native path's
# output (a field is added here, in the model, in a migration and in the C code, and tests
# hold the last two to this tuple)
PROFILE_FIELDS: tuple[str, ...] = ("platform", "handle", *PublicProfile.model_fields, "extra",
                                   "scraped_at_known", "content_hash")
# fields whose change makes a new version of the profile (scrape time does not)
CONTENT_FIELDS = tuple(f for f in PROFILE_FIELDS
                       if f not in ("scraped_at", "scraped_at_known", "content_hash"))
COUNT_FIELDS = ("followers", "following", "posts", "likes")
