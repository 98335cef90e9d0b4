"""Build one normalized profile from a mapped row: normalize, scrub, check, hash.

The reference per-row path of ingest, free of pydantic and I/O; `sxp.native` does the same in C
for JSONL blocks and hands it every row it is not certain about (tests compare the two).
`sxp.domain.profiles.Profile` describes the record it returns.
"""

from __future__ import annotations

import hashlib
import operator
from datetime import datetime
from typing import Any

import orjson

from sxp.domain import normalize as n
from sxp.domain import quality as q
from sxp.domain.profiles import CONTENT_FIELDS, MappedRow
from sxp.domain.quality import RowRejected
from sxp.domain.scrub import holds_email, holds_written_phone, scrub_contacts, scrub_link

_content_values = operator.itemgetter(*CONTENT_FIELDS)  # a tuple: orjson writes it as a list


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
    bio_url, url_contact = scrub_link(n.clean_text(get("bio_url"), 2000))
    avatar_url, avatar_contact = scrub_link(n.clean_text(get("avatar_url"), 2000))
    platform_user_id = _id_text(get("platform_user_id"))
    id_contact = platform_user_id is not None and (
        holds_email(platform_user_id) or holds_written_phone(platform_user_id))
    if id_contact:
        platform_user_id = None
    extra, extra_contact = _clean_extra(get("extra"))
    scraped_at = n.normalize_timestamp(get("scraped_at"))  # None: unknown, not "now"
    count = n.normalize_count
    timestamp = n.normalize_timestamp
    profile: dict[str, Any] = {
        "platform": platform,
        "handle": handle,
        "platform_user_id": platform_user_id,
        "display_name": display_name,
        "bio": bio,
        "bio_url": bio_url,
        "location": location,
        "avatar_url": avatar_url,
        "is_verified": n.normalize_bool(get("is_verified")),
        "followers": count(get("followers")),
        "following": count(get("following")),
        "posts": count(get("posts")),
        "likes": count(get("likes")),
        "account_created_at": timestamp(get("account_created_at")),
        "scraped_at": scraped_at or default_scraped_at,
        "bio_has_contact": (name_contact or bio_contact or loc_contact or url_contact
                            or avatar_contact or id_contact or extra_contact),
        "extra": extra,
        "scraped_at_known": scraped_at is not None,
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
    return n.clean_text(value, 64)


def _clean_extra(value: object) -> tuple[dict[str, Any], bool]:
    """Keep scalar extras only, under clean keys; text is scrubbed of contact details, and an
    entry whose key holds a contact (an e-mail address, a phone number) is dropped (the second
    value says so)."""
    if not isinstance(value, dict):
        return {}, False
    out: dict[str, Any] = {}
    dropped = False
    for raw_key, item in list(value.items())[:32]:
        key = n.clean_text(raw_key, 64)
        if key is None:
            continue
        if scrub_contacts(key)[1]:
            dropped = True
            continue
        if isinstance(item, bool) or item is None:
            out[key] = item
        elif isinstance(item, int | float):
            try:
                out[key] = n.normalize_count(item)
            except RowRejected:
                continue
        elif isinstance(item, str):
            text, _found = scrub_contacts(n.clean_text(item, 500))
            out[key] = text
    return out, dropped
