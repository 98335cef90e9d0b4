"""API keys: scopes, and tokens of the form `sxp_<key id>_<secret>`.

Only a SHA-256 of the secret is stored; the token is shown once, when the key is created.
Secrets are 32 random bytes, so a plain hash (no slow KDF) is the right tool; comparisons are
constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

SCOPES = ("imports:write", "imports:read", "cards:read", "contacts:read", "batches:read",
          "admin")
_TOKEN = re.compile(r"^sxp_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")


def check_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise ValueError(f"unknown scopes {unknown} (known: {', '.join(SCOPES)})" if unknown
                         else "a key needs at least one scope")
    return sorted(set(scopes))


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError("a key name is 1-63 of a-z, 0-9, '.', '_', '-', starting with a "
                         "letter or digit")
    return name


def new_token() -> tuple[str, str, bytes]:
    """(token, key id, secret hash) of a fresh key."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return f"sxp_{key_id}_{secret}", key_id, secret_hash(secret)


def parse_token(token: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed token, else None."""
    match = _TOKEN.match(token)
    return None if match is None else (match.group(1), match.group(2))


def secret_hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def secret_matches(secret: str, stored: bytes) -> bool:
    return hmac.compare_digest(secret_hash(secret), stored)


def has_scope(granted: list[str], needed: str) -> bool:
    """`admin` holds every scope."""
    return needed in granted or "admin" in granted
