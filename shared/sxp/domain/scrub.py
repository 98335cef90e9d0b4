"""The one PII scrubber: every check for e-mail addresses and phone numbers in text.

Two uses of the same patterns:
- `scrub_contacts` removes contacts from data bound for Tier 1 and staged objects (and says
  whether it found any, which becomes `bio_has_contact`); the native ingest path hands text
  that may hold one to this very function, so the two paths cannot differ;
- `mask_contacts` replaces them with `[redacted]` in log lines, exception text and the raw
  excerpt of a rejected row, where the reader should see that something was there.
`PII_KEYS` names the fields whose whole value is PII wherever it appears (logs, audit).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

PII_KEYS = frozenset({
    "email", "emails", "phone", "phones", "first_name", "last_name", "full_name", "name",
    "contact_name", "number", "street", "address", "property_address", "request_body",
    "response_body", "body",
})
REDACTED = "[redacted]"

# "@", with spaces around it or not, or "at" in brackets ("[at]", "( at )", "{at}")
_AT = r"(?:\s*@\s*|\s*[(\[{]\s*at\s*[)\]}]\s*)"
_DOT = r"(?:\.|\s*[(\[{]\s*dot\s*[)\]}]\s*|\s+dot\s+)"
EMAIL_RE = re.compile(
    rf"[A-Za-z0-9._%+\-]+{_AT}[A-Za-z0-9\-]+(?:{_DOT}[A-Za-z0-9\-]+)*{_DOT}[A-Za-z]{{2,}}",
    re.IGNORECASE)
# spelled out: "jane at example dot com" (the word "dot" is what tells it from prose)
WORDY_EMAIL_RE = re.compile(
    r"[A-Za-z0-9._%+\-]+\s+at\s+[A-Za-z0-9\-]+(?:\s+dot\s+[A-Za-z0-9\-]+)*\s+dot\s+"
    r"[A-Za-z]{2,}\b", re.IGNORECASE)
# phone-like: + and 7+ digits, or a North American number: 3-3-4 digits (the area code from
# 2-9) with or without separators, or 1 and such 10 digits; so not an epoch second, a thread
# id or a long count. Any Unicode dash counts as "-" (`_fold`)
PHONE_RE = re.compile(
    r"(?<![\w.])(?:\+\d[\d\s().\-]{6,}\d|\(?[2-9]\d{2}\)?[\s.\-]?\d{3}[\s.\-]?\d{4}|1[2-9]\d{9}|[2-9]\d{9})"
    r"(?![\w])")
# cheap prechecks: what every PHONE_RE match holds, and every e-mail match ("@", "at" before
# a closing bracket, or the word "dot"); the native path applies the same tests in C
# (shared/sxp/native/rowfields.h, maybe_contact)
MAYBE_PHONE = re.compile(r"\d[\d\s().\-]{6}")
MAYBE_EMAIL = re.compile(r"@|%40|at\s*[)\]}]|dot", re.IGNORECASE)
_SPACES = re.compile(r"[ \t]{2,}")
_PERCENT_AT = re.compile("%40")
# dashes people write phone numbers with, as "-"
_DASHES = str.maketrans({cp: "-" for cp in (0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015,
                                            0x2212, 0xFE58, 0xFE63, 0xFF0D)})
# links that are a contact point by themselves (their whole content is a phone or address)
_CONTACT_SCHEMES = ("mailto:", "tel:", "sms:", "whatsapp:", "callto:", "facetime:")
_CONTACT_HOSTS = re.compile(r"^(?:[a-z][a-z0-9+.\-]*://)?(?:www\.)?(?:wa\.me|api\.whatsapp\.com|"
                            r"whatsapp\.com|chat\.whatsapp\.com|t\.me/\+)", re.IGNORECASE)


def _fold(text: str) -> str:
    """Full-width and other compatibility forms as their plain letters (NFKC), dashes as "-",
    a percent-encoded "@" as "@": what a reader sees, so "jane＠example．com", "555–013–9924"
    and "jane%40example.com" are found too."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_DASHES)
    if "%" in text:
        text = _PERCENT_AT.sub("@", text)
    return text


def may_hold_contact(text: str) -> bool:
    return MAYBE_EMAIL.search(text) is not None or MAYBE_PHONE.search(text) is not None


def _remove(text: str, replacement: str) -> str:
    if MAYBE_EMAIL.search(text):
        text = EMAIL_RE.sub(replacement, text)
        text = WORDY_EMAIL_RE.sub(replacement, text)
    if MAYBE_PHONE.search(text):
        text = PHONE_RE.sub(replacement, text)
    return text


def scrub_contacts(text: str | None) -> tuple[str | None, bool]:
    """Remove e-mail addresses and phone numbers; return the text and whether any was found.
    Text without any is returned as it is (not folded)."""
    if not text:
        return text, False
    folded = _fold(text)
    scrubbed = _remove(folded, "")
    if scrubbed == folded:
        return text, False
    scrubbed = _SPACES.sub(" ", scrubbed).strip(" \t|·•,;:-")
    return scrubbed or None, True


def scrub_link(url: str | None) -> tuple[str | None, bool]:
    """A URL field (bio link, avatar): None and True when the link is a contact point itself
    (mailto:, tel:, wa.me/<phone>…) or carries an e-mail address or a written-out phone number
    anywhere (query included, percent-encoded or not); otherwise the URL as it is. A bare run
    of digits does not drop a link: image and profile ids look just like phone numbers."""
    if not url:
        return url, False
    plain = _fold(unquote(url)).strip()
    if plain.lower().startswith(_CONTACT_SCHEMES) or _CONTACT_HOSTS.match(plain):
        return None, True
    if MAYBE_EMAIL.search(plain) and (EMAIL_RE.search(plain) or WORDY_EMAIL_RE.search(plain)):
        return None, True
    if holds_written_phone(plain):
        return None, True
    return url, False


def holds_written_phone(text: str) -> bool:
    """A phone number written out (with +, spaces, dashes, dots or parentheses): what an id or
    a link holds only when it is a contact; a bare run of digits may be an id."""
    plain = _fold(text)
    return MAYBE_PHONE.search(plain) is not None and any(
        not m.group().isdigit() for m in PHONE_RE.finditer(plain))


def holds_email(text: str) -> bool:
    """An identifier or key that is an e-mail address (or holds one)."""
    plain = _fold(text)
    return MAYBE_EMAIL.search(plain) is not None and (
        EMAIL_RE.search(plain) is not None or WORDY_EMAIL_RE.search(plain) is not None)


def mask_contacts(text: str) -> str:
    """`text` with each e-mail address and phone number replaced by `[redacted]`."""
    folded = _fold(text)
    masked = _remove(folded, REDACTED)
    return text if masked == folded else masked
