"""Pure normalization: handles, counts, timestamps, and clean text (scrubbed by `scrub`).

Every function raises `RowRejected` with a stable reason code when a value cannot be trusted.
"""

from __future__ import annotations

import math
import re
import time
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sxp.domain import quality as q
from sxp.domain.quality import RowRejected
from sxp.domain.scrub import may_hold_contact, scrub_contacts

PLATFORMS = ("x", "tiktok", "threads")
PLATFORM_ALIASES = {"x": "x", "twitter": "x", "x.com": "x", "tiktok": "tiktok", "tt": "tiktok",
                    "threads": "threads", "threads.net": "threads"}
HANDLE_RULES = {
    "x": re.compile(r"[a-z0-9_]{1,15}"),
    "tiktok": re.compile(r"[a-z0-9_.]{2,24}"),
    "threads": re.compile(r"[a-z0-9_.]{1,30}"),
}
HOST_PLATFORM = {
    "x.com": "x", "twitter.com": "x", "mobile.twitter.com": "x", "mobile.x.com": "x",
    "m.twitter.com": "x", "tiktok.com": "tiktok", "m.tiktok.com": "tiktok",
    "threads.net": "threads", "threads.com": "threads",
}
# zero-width, bidi controls, BOM, soft hyphen
_INVISIBLE = dict.fromkeys(
    [0x00AD, 0x061C, 0x180E, 0xFEFF, *range(0x200B, 0x2010), *range(0x202A, 0x202F),
     *range(0x2060, 0x2065), *range(0x2066, 0x206A)])
_CONTROL = dict.fromkeys(c for c in range(0x20) if c not in (0x09, 0x0A))
_CONTROL[0x7F] = None
STRIP_TEXT = {**_INVISIBLE, **_CONTROL}

MAX_COUNT = 10_000_000_000
_COUNT_RE = re.compile(r"^([0-9][0-9.,' \u00a0]*)\s*([kmb]?)$")
_MULT = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}
EPOCH_MIN = datetime(2000, 1, 1, tzinfo=UTC)  # the earliest plausible timestamp


def clean_text(value: object, max_len: int = 4000) -> str | None:
    """NFC text without NULs, control or invisible characters; None when empty."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    if text.isascii() and text.isprintable():
        return text.strip()[:max_len] or None
    text = unicodedata.normalize("NFC", text).translate(STRIP_TEXT).strip()
    return text[:max_len] or None


def clean_scrubbed(value: object, max_len: int = 4000) -> tuple[str | None, bool]:
    """`scrub_contacts(clean_text(value, max_len))`, with a fast path for plain ASCII text."""
    if value is None:
        return None, False
    if type(value) is str and value.isascii() and value.isprintable():
        text = value.strip()[:max_len]
        if not text:
            return None, False
        if not may_hold_contact(text):
            return text, False
        return scrub_contacts(text)
    return scrub_contacts(clean_text(value, max_len))


def normalize_platform(value: object) -> str | None:
    if value is None:
        return None
    return PLATFORM_ALIASES.get(str(value).strip().lower())


def parse_profile_url(text: str) -> tuple[str, str] | None:
    """(platform, raw handle) from a profile URL of any host form; None if not a URL."""
    candidate = text if "://" in text else f"https://{text}"
    try:
        parts = urlsplit(candidate)
    except ValueError as exc:  # e.g. an unbalanced "[" read as an IPv6 host
        raise RowRejected(q.INVALID_HANDLE, "not a profile URL") from exc
    host = (parts.hostname or "").lower().removeprefix("www.")
    platform = HOST_PLATFORM.get(host)
    if platform is None:
        if "." in host and "/" in text:
            raise RowRejected(q.INVALID_HANDLE, "not a known profile host")
        return None
    segments = [s for s in parts.path.split("/") if s]
    if not segments:
        raise RowRejected(q.INVALID_HANDLE, "profile URL without a handle")
    first = segments[0]
    if platform in ("tiktok", "threads"):
        if not first.startswith("@"):
            raise RowRejected(q.INVALID_HANDLE, "not a profile URL")
        return platform, first[1:]
    if first.lower() in ("i", "intent", "home", "search", "hashtag", "settings"):
        raise RowRejected(q.INVALID_HANDLE, "not a profile URL")
    return platform, first.removeprefix("@")


def normalize_handle(value: object, platform: str | None) -> tuple[str, str | None]:
    """Normalized handle and the platform a URL revealed (None if it was a bare handle)."""
    if value is None:
        raise RowRejected(q.MISSING_HANDLE)
    text = str(value)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    text = text.strip()
    if not text:
        raise RowRejected(q.MISSING_HANDLE)
    url_platform = None
    if "/" in text or text.lower().startswith(("http:", "https:")):
        parsed = parse_profile_url(text)
        if parsed is not None:
            url_platform, text = parsed
    handle = text.removeprefix("@").casefold()
    target = platform or url_platform
    if platform and url_platform and platform != url_platform:
        raise RowRejected(q.PLATFORM_MISMATCH, f"{url_platform} URL on a {platform} row")
    if target is not None:
        rule = HANDLE_RULES[target]
        if not rule.fullmatch(handle) or (target == "tiktok" and handle.endswith(".")):
            raise RowRejected(q.INVALID_HANDLE, f"breaks {target} handle rules")
    return handle, url_platform


def normalize_count(value: object) -> int | None:
    """12345, "12,345", "1.2K", "3.4M", "1,2 M" -> int; None when absent."""
    if type(value) is int and 0 <= value <= MAX_COUNT:
        return value
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise RowRejected(q.INVALID_COUNT, "boolean")
    if isinstance(value, int):
        number = float(value) if abs(value) > MAX_COUNT else value
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise RowRejected(q.INVALID_COUNT, "not finite")
        number = value
    else:
        number = _parse_count_text(str(value))
    if number < 0:
        raise RowRejected(q.NEGATIVE_COUNT)
    if number > MAX_COUNT:
        raise RowRejected(q.ABSURD_COUNT)
    return int(number)


def _parse_count_text(raw: str) -> float:
    text = raw.strip().lower()
    negative = text.startswith("-")
    match = _COUNT_RE.match(text.lstrip("-").strip())
    if not match:
        raise RowRejected(q.INVALID_COUNT, "not a count")
    digits, suffix = match.group(1).replace("\u00a0", "").replace(" ", "").replace("'", ""), \
        match.group(2)
    if suffix and re.fullmatch(r"\d+,\d{1,2}", digits):
        digits = digits.replace(",", ".")  # "1,2 M": decimal comma
    elif re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", digits) and not suffix:
        digits = digits.replace(",", "").replace(".", "")  # "12,345" / "12.345"
    else:
        digits = digits.replace(",", "")
    try:
        number = float(digits) * _MULT[suffix]
    except ValueError as exc:
        raise RowRejected(q.INVALID_COUNT, "not a count") from exc
    return -number if negative else number


def normalize_timestamp(value: object, now: datetime | None = None) -> datetime | None:
    """ISO 8601 (naive = UTC), epoch seconds or milliseconds -> aware UTC datetime."""
    if value is None or value == "":
        return None
    if now is None and type(value) is str and (known := _PLAUSIBLE.get(value)) is not None:
        return known
    moment = _parse_timestamp(value)
    limit = now + timedelta(days=1) if now is not None else upper_limit()
    if not EPOCH_MIN <= moment <= limit:
        raise RowRejected(q.INVALID_TIMESTAMP, "out of plausible range")
    if now is None and type(value) is str:
        if len(_PLAUSIBLE) >= _PLAUSIBLE_MAX:
            _PLAUSIBLE.clear()
        _PLAUSIBLE[value] = moment
    return moment


# timestamp texts repeat (a pull's scrape time, dates of account creation): parse and check each
# once. Only plausible ones are kept; the upper limit (now + 1 day) only grows, so a text that
# passed once always passes.
_PLAUSIBLE: dict[str, datetime] = {}
_PLAUSIBLE_MAX = 100_000


def _parse_timestamp(value: object) -> datetime:
    if isinstance(value, bool):
        raise RowRejected(q.INVALID_TIMESTAMP, "boolean")
    moment: datetime
    if isinstance(value, str) and not value.isdigit():
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise RowRejected(q.INVALID_TIMESTAMP, "not ISO 8601") from exc
        tz = moment.tzinfo
        if tz is None:
            moment = moment.replace(tzinfo=UTC)
        elif tz is not UTC:
            moment = moment.astimezone(UTC)
    elif isinstance(value, int | float | str):
        try:
            number = float(value)
        except ValueError as exc:
            raise RowRejected(q.INVALID_TIMESTAMP, "not a number") from exc
        if not math.isfinite(number):
            raise RowRejected(q.INVALID_TIMESTAMP, "not finite")
        seconds = number / 1000 if number > 1e11 else number
        try:
            moment = datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise RowRejected(q.INVALID_TIMESTAMP, "epoch out of range") from exc
    else:
        raise RowRejected(q.INVALID_TIMESTAMP, "not a timestamp")
    return moment


_LIMIT: list[Any] = [0.0, None]


def upper_limit() -> datetime:
    """now + 1 day, recomputed at most once a second (it is checked for every timestamp)."""
    tick = time.monotonic()
    if _LIMIT[1] is None or tick - _LIMIT[0] >= 1.0:
        _LIMIT[0], _LIMIT[1] = tick, datetime.now(UTC) + timedelta(days=1)
    limit: datetime = _LIMIT[1]
    return limit


def normalize_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    return str(value).strip().lower() in ("true", "1", "yes", "y", "t", "verified")
