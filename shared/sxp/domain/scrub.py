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

PII_KEYS = frozenset({
    "email", "emails", "phone", "phones", "first_name", "last_name", "full_name", "name",
    "contact_name", "number", "street", "address", "property_address", "request_body",
    "response_body", "body",
})
REDACTED = "[redacted]"

_AT = r"(?:@|\s*[(\[]at[)\]]\s*)"
_DOT = r"(?:\.|\s*[(\[]dot[)\]]\s*)"
EMAIL_RE = re.compile(
    rf"[A-Za-z0-9._%+\-]+{_AT}[A-Za-z0-9\-]+(?:{_DOT}[A-Za-z0-9\-]+)*{_DOT}[A-Za-z]{{2,}}",
    re.IGNORECASE)
# phone-like: + and 7+ digits, or 10+ digits in groups separated by space . - ( )
PHONE_RE = re.compile(
    r"(?<![\w.])(?:\+\d[\d\s().\-]{6,}\d|\(?\d{3}\)?[\s.\-]?\d{3}[\s.\-]?\d{4})(?![\w])")
# cheap prechecks: what every PHONE_RE match holds, and every EMAIL_RE match ("@", or
# "at]" / "at)" in any case); the native path applies the same two tests in C
MAYBE_PHONE = re.compile(r"\d[\d\s().\-]{6}")
MAYBE_EMAIL = re.compile(r"@|at[)\]]", re.IGNORECASE)
_SPACES = re.compile(r"[ \t]{2,}")


def may_hold_contact(text: str) -> bool:
    return MAYBE_EMAIL.search(text) is not None or MAYBE_PHONE.search(text) is not None


def scrub_contacts(text: str | None) -> tuple[str | None, bool]:
    """Remove e-mail addresses and phone numbers; return the text and whether any was found."""
    if not text:
        return text, False
    scrubbed = text
    if MAYBE_EMAIL.search(text):
        scrubbed = EMAIL_RE.sub("", scrubbed)
    if MAYBE_PHONE.search(scrubbed):
        scrubbed = PHONE_RE.sub("", scrubbed)
    if scrubbed is text or scrubbed == text:
        return text, False
    scrubbed = _SPACES.sub(" ", scrubbed).strip(" \t|·•,;:-")
    return scrubbed or None, True


def mask_contacts(text: str) -> str:
    """`text` with each e-mail address and phone number replaced by `[redacted]`."""
    if MAYBE_EMAIL.search(text):
        text = EMAIL_RE.sub(REDACTED, text)
    if MAYBE_PHONE.search(text):
        text = PHONE_RE.sub(REDACTED, text)
    return text
