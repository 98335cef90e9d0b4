"""Platform shapes mapped to the generic field names, and per-row platform detection.

Shapes (see contracts/generic_profile.v1.schema.json for the generic one):
- X API v2 user object (`GET /2/users/by`): id, username, name, description, location, url,
  verified, created_at, profile_image_url,
  public_metrics.{followers,following,tweet,listed,like}_count
- TikTok Research API user info (`POST /v2/research/user/info/`): display_name, bio_description,
  bio_url, avatar_url, is_verified, follower_count, following_count, likes_count, video_count;
  the username is the request key, so rows carry it as `username` (or wrap the response:
  `{"username": ..., "data": {...}}`).
- Threads profile lookup (`GET /profile_lookup`): username, name, biography, is_verified,
  follower_count, likes_count, quotes_count, replies_count, reposts_count, views_count.
- generic v1: platform, handle | profile_url, and the Profile field names.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sxp.domain.normalize import normalize_platform
from sxp.domain.profiles import MappedRow

SCRAPE_KEYS = ("scraped_at", "fetched_at", "collected_at", "_scraped_at")
_THREADS_KEYS = ("biography", "quotes_count", "replies_count", "reposts_count", "views_count")
_TIKTOK_KEYS = ("bio_description", "video_count", "bio_url")


def expand(value: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Unwrap API envelopes: `{"data": [...]}` lists and TikTok `{"username", "data": {...}}`."""
    data = value.get("data")
    if isinstance(data, list) and not _has_identity(value):
        for item in data:
            if isinstance(item, dict):
                yield {**_context(value), **item}
            else:
                yield {"_not_object": item}
        return
    if isinstance(data, dict) and not _has_identity(data) and _has_identity(value):
        yield {**data, **{k: v for k, v in value.items() if k != "data"}}
        return
    if isinstance(data, dict) and not _has_identity(value):
        yield {**_context(value), **data}
        return
    yield value


def _context(envelope: dict[str, Any]) -> dict[str, Any]:
    return {k: envelope[k] for k in ("platform", *SCRAPE_KEYS) if k in envelope}


def _has_identity(value: dict[str, Any]) -> bool:
    return any(k in value for k in ("username", "handle", "profile_url"))


def detect_platform(row: dict[str, Any], hint: str | None) -> str | None:
    """The row's platform: import hint, then an explicit field, then the shape."""
    if hint:
        return hint
    explicit = normalize_platform(row.get("platform") or row.get("source_platform"))
    if explicit:
        return explicit
    if "public_metrics" in row or "description" in row or "tweet_count" in row:
        return "x"
    if any(k in row for k in _TIKTOK_KEYS):
        return "tiktok"
    if any(k in row for k in _THREADS_KEYS):
        return "threads"
    return None


def map_row(row: dict[str, Any], platform: str | None) -> MappedRow:
    """Any known shape -> generic field names (values still raw)."""
    if row.get("handle") is not None and row.get("scraped_at") is not None:
        return row  # generic already: readers only `get` the generic names from it
    if row.get("handle") is not None or row.get("profile_url") is not None or platform is None:
        return _generic(row)
    if platform == "x":
        return _x(row)
    if platform == "tiktok":
        return _tiktok(row)
    return _threads(row)


def _scraped(row: dict[str, Any]) -> Any:
    for key in SCRAPE_KEYS:
        if row.get(key) is not None:
            return row[key]
    return None


def _generic(row: dict[str, Any]) -> MappedRow:
    mapped = {k: row.get(k) for k in (
        "handle", "profile_url", "platform_user_id", "display_name", "bio", "bio_url",
        "location", "avatar_url", "is_verified", "followers", "following", "posts", "likes",
        "account_created_at", "extra")}
    if mapped["handle"] is None and row.get("username") is not None:
        mapped["handle"] = row["username"]
    mapped["scraped_at"] = _scraped(row)
    return mapped


def _x(row: dict[str, Any]) -> MappedRow:
    metrics = row.get("public_metrics") if isinstance(row.get("public_metrics"), dict) else {}
    assert isinstance(metrics, dict)
    url = row.get("url")
    entities = row.get("entities")
    if isinstance(entities, dict):
        urls = (entities.get("url") or {}).get("urls") if isinstance(entities.get("url"),
                                                                      dict) else None
        if isinstance(urls, list) and urls and isinstance(urls[0], dict):
            url = urls[0].get("expanded_url") or url
    return {
        "handle": row.get("username"), "platform_user_id": row.get("id"),
        "display_name": row.get("name"), "bio": row.get("description"),
        "bio_url": url, "location": row.get("location"),
        "avatar_url": row.get("profile_image_url"), "is_verified": row.get("verified"),
        "followers": _metric(row, metrics, "followers_count"),
        "following": _metric(row, metrics, "following_count"),
        "posts": _metric(row, metrics, "tweet_count"),
        "likes": _metric(row, metrics, "like_count"),
        "account_created_at": row.get("created_at"), "scraped_at": _scraped(row),
        "extra": {"listed_count": _metric(row, metrics, "listed_count")}
        if _metric(row, metrics, "listed_count") is not None else {},
    }


def _metric(row: dict[str, Any], metrics: dict[str, Any], key: str) -> Any:
    """X metrics live under public_metrics; flat CSV exports use `public_metrics.key` columns."""
    if key in metrics:
        return metrics[key]
    return row.get(f"public_metrics.{key}", row.get(key))


def _tiktok(row: dict[str, Any]) -> MappedRow:
    return {
        "handle": row.get("username"), "platform_user_id": row.get("open_id") or row.get("id"),
        "display_name": row.get("display_name"), "bio": row.get("bio_description"),
        "bio_url": row.get("bio_url"), "location": row.get("location"),
        "avatar_url": row.get("avatar_url"), "is_verified": row.get("is_verified"),
        "followers": row.get("follower_count"), "following": row.get("following_count"),
        "posts": row.get("video_count"), "likes": row.get("likes_count"),
        "account_created_at": row.get("create_time"), "scraped_at": _scraped(row), "extra": {},
    }


def _threads(row: dict[str, Any]) -> MappedRow:
    extra = {k: row[k] for k in ("quotes_count", "replies_count", "reposts_count",
                                 "views_count") if row.get(k) is not None}
    return {
        "handle": row.get("username"), "platform_user_id": row.get("id"),
        "display_name": row.get("name"), "bio": row.get("biography"),
        "bio_url": row.get("bio_url") or row.get("link"), "location": row.get("location"),
        "avatar_url": row.get("profile_picture_url"), "is_verified": row.get("is_verified"),
        "followers": row.get("follower_count"), "following": row.get("following_count"),
        "posts": row.get("threads_count"), "likes": row.get("likes_count"),
        "account_created_at": None, "scraped_at": _scraped(row), "extra": extra,
    }
