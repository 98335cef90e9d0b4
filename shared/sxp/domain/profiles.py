"""The one normalized profile model (Tier 1 row and staged `normalized/*.jsonl` record).

Source shapes (X, TikTok, Threads, generic) are first mapped to a flat dict with the generic
field names (`MappedRow`); `build_profile` then normalizes and quality-checks it. The hot path
works on plain dicts in `PROFILE_FIELDS` order; `Profile` validates the same record at every
boundary that reads it back (staged JSONL, tests, downstream steps).
"""

from __future__ import annotations

import hashlib
import operator
from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field

from sxp.domain import normalize as n
from sxp.domain import quality as q
from sxp.domain.quality import RowRejected

PROFILE_SCHEMA_VERSION = "profile.v1"
MappedRow = dict[str, Any]


class Profile(BaseModel):
    """A public social profile, normalized, PII-free (no e-mail, no phone number)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    platform: str = Field(pattern=r"^(x|tiktok|threads)$")
    handle: str = Field(min_length=1, max_length=30)
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
    extra: dict[str, Any] = Field(default_factory=dict)
    content_hash: str


PROFILE_FIELDS: tuple[str, ...] = tuple(Profile.model_fields)
# fields whose change makes a new version of the profile (scrape time does not)
CONTENT_FIELDS = tuple(f for f in PROFILE_FIELDS if f not in ("scraped_at", "content_hash"))
_content_values = operator.itemgetter(*CONTENT_FIELDS)  # a tuple: orjson writes it as a list
COUNT_FIELDS = ("followers", "following", "posts", "likes")


def build_profile(row: MappedRow, platform: str | None,
                  default_scraped_at: datetime) -> dict[str, Any]:
    """Normalize and check one mapped row; raises RowRejected with a reason code."""
    get = row.get
    handle, url_platform = n.normalize_handle(get("handle") or get("profile_url"), platform)
    platform = platform or url_platform
    if platform is None:
        raise RowRejected(q.UNKNOWN_PLATFORM)
    display_name, name_contact = n.clean_scrubbed(get("display_name"), 200)
    bio, bio_contact = n.clean_scrubbed(get("bio"))
    location, loc_contact = n.clean_scrubbed(get("location"), 200)
    bio_url = n.clean_text(get("bio_url"), 2000)
    url_contact = bool(bio_url and bio_url.lower().startswith(("mailto:", "tel:", "sms:")))
    if url_contact:
        bio_url = None
    count = n.normalize_count
    timestamp = n.normalize_timestamp
    profile: dict[str, Any] = {
        "platform": platform,
        "handle": handle,
        "platform_user_id": _id_text(get("platform_user_id")),
        "display_name": display_name,
        "bio": bio,
        "bio_url": bio_url,
        "location": location,
        "avatar_url": n.clean_text(get("avatar_url"), 2000),
        "is_verified": n.normalize_bool(get("is_verified")),
        "followers": count(get("followers")),
        "following": count(get("following")),
        "posts": count(get("posts")),
        "likes": count(get("likes")),
        "account_created_at": timestamp(get("account_created_at")),
        "scraped_at": timestamp(get("scraped_at")) or default_scraped_at,
        "bio_has_contact": name_contact or bio_contact or loc_contact or url_contact,
        "extra": _clean_extra(get("extra")),
    }
    profile["content_hash"] = content_hash(profile)
    return profile


def content_hash(profile: dict[str, Any]) -> str:
    """Hash of everything that describes the profile, scrape time excluded."""
    payload = orjson.dumps(_content_values(profile), option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(payload, digest_size=16).hexdigest()


def _id_text(value: object) -> str | None:
    if value is None or value == "" or isinstance(value, bool | dict | list):
        return None
    return str(value).strip()[:64] or None


def _clean_extra(value: object) -> dict[str, Any]:
    """Keep scalar extras only; text is scrubbed of contact details."""
    if not isinstance(value, dict):
        return {}
    out: dict[str, Any] = {}
    for key, item in list(value.items())[:32]:
        if isinstance(item, bool) or item is None:
            out[str(key)[:64]] = item
        elif isinstance(item, int | float):
            try:
                out[str(key)[:64]] = n.normalize_count(item)
            except RowRejected:
                continue
        elif isinstance(item, str):
            text, _found = n.scrub_contacts(n.clean_text(item, 500))
            out[str(key)[:64]] = text
    return out
