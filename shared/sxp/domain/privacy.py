"""Privacy: the identifiers a subject is erased or suppressed by, normalized as the tiers
hold them, and their keyed hash (HMAC-SHA256 with the install's privacy key), which lets sxp
recognize a subject again without keeping the identifier. Pure: the key is given."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field

from sxp.domain.normalize import normalize_handle
from sxp.domain.quality import RowRejected

PLATFORMS = ("x", "tiktok", "threads")
SUBJECT_KINDS = ("handle", "email", "phone")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalized_subject(kind: str, value: str) -> str:
    """The identifier as the tiers hold it, or ValueError naming what is wrong."""
    value = value.strip()
    if kind == "handle":
        platform, sep, raw = value.partition(":")
        platform = platform.strip().lower()
        if not sep or platform not in PLATFORMS:
            raise ValueError("a handle is PLATFORM:HANDLE with a platform of x, tiktok or"
                             " threads")
        try:
            handle, _ = normalize_handle(raw, platform)
        except RowRejected as exc:
            raise ValueError(f"not a {platform} handle ({exc.code})") from None
        return f"{platform}:{handle}"
    if kind == "email":
        if not _EMAIL.match(value):
            raise ValueError("not an e-mail address")
        return value.lower()
    if kind == "phone":
        digits = re.sub(r"\D", "", value)
        if len(digits) == 10:
            digits = "1" + digits
        if not 11 <= len(digits) <= 15:
            raise ValueError("a phone is 10 digits (US) or an E.164 number")
        return f"+{digits}"
    raise ValueError(f"unknown subject kind {kind!r} (handle, email, phone)")


def keyed_hash(key: bytes, kind: str, normalized: str) -> str:
    """HMAC-SHA256 of `kind:normalized` under the privacy key, hex."""
    return hmac.new(key, f"{kind}:{normalized}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class SuppressedPoints:
    """Whether an e-mail or phone is on the suppression list: called as (kind, value). A value
    (picklable, so the export's workers filter the contacts they read), with its key and
    hashes kept out of its repr."""

    key: bytes = field(repr=False)
    hashes: frozenset[str] = field(repr=False)

    def __call__(self, kind: str, value: str) -> bool:
        try:
            return keyed_hash(self.key, kind, normalized_subject(kind, value)) in self.hashes
        except ValueError:
            return False


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The inner and outer padded keys of HMAC-SHA256 (RFC 2104), so that a database with
    only `sha256()` computes the same keyed hash: sha256(opad || sha256(ipad || message))."""
    block = hashlib.sha256(key).digest() if len(key) > 64 else key
    block = block.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


def guess_kind(value: str) -> str:
    """The subject kind of a bare line of an opt-out file."""
    text = value.strip()
    if "@" in text and ":" not in text.split("@", 1)[0]:
        return "email"
    if ":" in text and text.split(":", 1)[0].strip().lower() in PLATFORMS:
        return "handle"
    return "phone"
