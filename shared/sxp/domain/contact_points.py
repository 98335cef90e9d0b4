"""Validate and normalize contact points from providers: e-mails and phones (E.164). Pure."""

from __future__ import annotations

import re

EMAIL_RE = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}$"
)
LINE_TYPES = {
    "mobile": "mobile",
    "wireless": "mobile",
    "cell": "mobile",
    "cellular": "mobile",
    "land line": "landline",
    "landline": "landline",
    "fixed": "landline",
    "fixed line": "landline",
    "voip": "voip",
    "toll free": "toll_free",
    "toll-free": "toll_free",
    "pager": "other",
}


def normalize_email(raw: object) -> str | None:
    """Trimmed and lowercased e-mail, or None when it is not a plausible address."""
    if not isinstance(raw, str):
        return None
    value = raw.strip().lower()
    if len(value) > 254 or not EMAIL_RE.match(value):
        return None
    return value


def normalize_phone(raw: object, default_country_code: str = "1") -> str | None:
    """E.164 (`+15125550147`) or None. National numbers default to NANP (+1)."""
    if isinstance(raw, int):
        raw = str(raw)
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    text = re.split(r"(?i)\s*(?:ext\.?|x|#)\s*\d+$", text)[0]
    if re.search(r"[^\d\s().+\-/]", text):
        return None
    digits = re.sub(r"\D", "", text)
    if text.startswith("+") or text.startswith("00"):
        digits = digits[2:] if text.startswith("00") else digits
        if digits.startswith("1"):
            return _nanp(digits[1:])
        return f"+{digits}" if 8 <= len(digits) <= 15 and digits[0] != "0" else None
    if default_country_code == "1":
        if len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]
        return _nanp(digits)
    return None


def _nanp(national: str) -> str | None:
    """+1 numbers: NPA and NXX both start with 2-9 (the 555-01XX fictional range passes)."""
    if len(national) != 10 or national[0] in "01" or national[3] in "01":
        return None
    return f"+1{national}"


def normalize_line_type(raw: object) -> str | None:
    if not isinstance(raw, str) or not raw.strip():
        return None
    return LINE_TYPES.get(raw.strip().lower(), "other")
