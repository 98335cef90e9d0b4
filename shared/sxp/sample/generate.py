"""Seeded synthetic profiles in every source shape (X, TikTok, Threads, generic). Synthetic only.

Names come from small built-in lists; e-mails use example.com/example.org and phones the
fictional 555-01xx range. `dup_rate` of the rows repeat an earlier profile with a case, `@` or
profile-URL variant of its handle (some with a newer scrape); `bad_rate` carry one planted defect.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

FIRST = ["avery", "jordan", "riley", "casey", "morgan", "quinn", "rowan", "sage", "emery",
         "harper", "logan", "reese", "skyler", "dakota", "jamie", "peyton", "blake", "drew",
         "finley", "hayden", "kendall", "marlow", "noel", "parker", "remy", "shay", "tatum"]
LAST = ["lark", "brook", "vale", "stone", "reed", "frost", "wren", "hollis", "marsh", "pike",
        "quill", "rook", "sable", "thorne", "vance", "wilde", "yarrow", "zeller", "ashby", "birch"]
CITIES = [("Austin", "TX"), ("Denver", "CO"), ("Portland", "OR"), ("Miami", "FL"),
          ("Columbus", "OH"), ("Phoenix", "AZ"), ("Raleigh", "NC"), ("Boise", "ID"),
          ("Madison", "WI"), ("Tampa", "FL"), ("Omaha", "NE"), ("Reno", "NV")]
TOPICS = ["coffee", "fitness", "real estate", "home decor", "vintage cars", "baking", "travel",
          "gardening", "skincare", "woodworking", "pets", "photography", "yoga", "finance"]
ROLES = ["Founder", "Realtor", "Coach", "Owner", "Creator", "Designer", "Broker", "Chef"]
COMPANY_WORDS = ["nimbus", "cedar", "harbor", "summit", "lumen", "orchard", "ember", "tidal"]
PLATFORMS = ("tiktok", "threads", "x")
SHAPES = ("platform", "generic")
BASE_TIME = datetime(2025, 1, 1, tzinfo=UTC)


def generate_profiles(n: int, seed: int = 7, dup_rate: float = 0.05, bad_rate: float = 0.01,
                      platforms: Sequence[str] = PLATFORMS,
                      shapes: Sequence[str] = SHAPES) -> Iterator[dict[str, Any]]:
    """Yield `n` rows, each in the shape of its platform's API or in the generic format."""
    rng = random.Random(seed)
    recent: list[tuple[str, dict[str, Any]]] = []
    for i in range(n):
        roll = rng.random()
        if recent and roll < dup_rate:
            platform, person = rng.choice(recent)
            person = {**person, "handle": _variant(rng, platform, person["handle"])}
            if rng.random() < 0.5:
                person["scraped_at"] = person["scraped_at"] + timedelta(days=rng.randint(1, 30))
                person["followers"] += rng.randint(1, 50)
        else:
            platform = rng.choice(list(platforms))
            person = _person(rng, platform, i)
            if len(recent) < 5000:
                recent.append((platform, person))
            else:
                recent[rng.randrange(len(recent))] = (platform, person)
        shape = rng.choice(list(shapes))
        row = _shape(platform, shape, person)
        if roll > 1 - bad_rate:
            _plant_defect(rng, row)
        yield row


def _person(rng: random.Random, platform: str, i: int) -> dict[str, Any]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    handle = f"{first[:4]}{last[:4]}{i}" if platform == "x" else f"{first}.{last}{i}"
    city, state = rng.choice(CITIES)
    topic = rng.choice(TOPICS)
    bio = f"{rng.choice(ROLES)} | {topic} in {city}"
    company = None
    if rng.random() < 0.3:
        company = f"{rng.choice(COMPANY_WORDS)}{rng.choice(['co', 'labs', 'homes', 'studio'])}"
        bio += f" | {company}.com"
    if rng.random() < 0.08:
        bio += f" | {first}.{last}{i % 97}@example.com"
    if rng.random() < 0.05:
        bio += f" | call +1 555 01{i % 100:02d}"
    return {
        "handle": handle, "id": str(10_000_000 + i),
        "display_name": f"{first.title()} {last.title()}",
        "bio": bio, "location": f"{city}, {state}" if rng.random() < 0.7 else None,
        "bio_url": f"https://www.{company}.com" if company else None,
        "verified": rng.random() < 0.03,
        "followers": int(rng.paretovariate(1.2) * 200), "following": rng.randint(0, 3000),
        "posts": rng.randint(0, 5000), "likes": rng.randint(0, 200_000),
        "created": BASE_TIME - timedelta(days=rng.randint(30, 4000)),
        "scraped_at": BASE_TIME + timedelta(minutes=rng.randint(0, 60 * 24 * 90)),
    }


def _variant(rng: random.Random, platform: str, handle: str) -> str:
    choice = rng.randrange(3)
    if choice == 0:
        return handle.upper()
    if choice == 1:
        return f"@{handle.title()}"
    host = {"x": "https://x.com/{h}", "tiktok": "https://www.tiktok.com/@{h}?lang=en",
            "threads": "https://www.threads.net/@{h}/"}[platform]
    return host.format(h=handle)


def _shape(platform: str, shape: str, p: dict[str, Any]) -> dict[str, Any]:
    scraped = p["scraped_at"].isoformat().replace("+00:00", "Z")
    if shape == "generic":
        key = "profile_url" if "/" in p["handle"] else "handle"
        return {"platform": platform, key: p["handle"], "platform_user_id": p["id"],
                "display_name": p["display_name"], "bio": p["bio"], "bio_url": p["bio_url"],
                "location": p["location"], "is_verified": p["verified"],
                "followers": p["followers"], "following": p["following"], "posts": p["posts"],
                "likes": p["likes"], "account_created_at": p["created"].isoformat(),
                "scraped_at": scraped}
    if platform == "x":
        return {"id": p["id"], "username": p["handle"], "name": p["display_name"],
                "description": p["bio"], "location": p["location"], "url": p["bio_url"],
                "verified": p["verified"],
                "created_at": p["created"].isoformat().replace("+00:00", ".000Z"),
                "public_metrics": {"followers_count": p["followers"],
                                   "following_count": p["following"],
                                   "tweet_count": p["posts"], "listed_count": p["posts"] // 50},
                "scraped_at": scraped}
    if platform == "tiktok":
        return {"username": p["handle"], "display_name": p["display_name"],
                "bio_description": p["bio"], "bio_url": p["bio_url"],
                "avatar_url": f"https://p16.example.net/{p['id']}.jpeg",
                "is_verified": p["verified"], "follower_count": p["followers"],
                "following_count": p["following"], "likes_count": p["likes"],
                "video_count": p["posts"], "scraped_at": scraped}
    return {"id": p["id"], "username": p["handle"], "name": p["display_name"],
            "biography": p["bio"], "is_verified": p["verified"],
            "follower_count": p["followers"], "likes_count": p["likes"],
            "quotes_count": p["posts"] // 7, "replies_count": p["posts"] // 3,
            "reposts_count": p["posts"] // 5, "views_count": p["likes"] * 4,
            "scraped_at": scraped}


def _plant_defect(rng: random.Random, row: dict[str, Any]) -> None:
    handle_key = next((k for k in ("handle", "profile_url", "username") if k in row), "username")
    defect = rng.randrange(5)
    if defect == 0:
        row.pop(handle_key, None)
    elif defect == 1:
        row[handle_key] = "bad handle!"
    elif defect == 2:
        count_key = next(k for k in ("followers", "follower_count", "public_metrics") if k in row)
        if count_key == "public_metrics":
            row[count_key] = {**row[count_key], "followers_count": -5}
        else:
            row[count_key] = -5
    elif defect == 3:
        row["scraped_at"] = "not a date"
    else:
        row.clear()
        row.update({"platform": "myspace", "handle": "someone"})
