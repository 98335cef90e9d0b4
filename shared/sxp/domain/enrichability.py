"""Derive the inputs enrichment providers need from a public profile, and say why not when not.

- **Person name**: the display name, cleaned of emoji, honorifics, suffixes and anything after a
  separator (`Jane Doe | Realtor` -> `Jane Doe`), must be 2-4 alphabetic words with no business
  word (LLC, Realty, Studio, ...). First and last name are its first and last word.
- **US location**: `Austin, TX`, `Austin, Texas`, `Austin TX 78701`, `Austin, TX, USA`, ...:
  the state (two-letter code or full name) is found at the end, an optional ZIP after it, the
  city before it.
- **Domain**: the host of the bio link unless it is a social or link-in-bio site, else the
  first domain-like token of the bio.

`missing_for(inputs, provider)` returns the reason codes (`no_person_name`, `no_us_location`,
`no_domain`) why a card cannot be looked up at that provider; empty means enrichable.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from sxp.domain.us_states import STATE_CODES, STATE_NAMES

NO_PERSON_NAME = "no_person_name"
NO_US_LOCATION = "no_us_location"
NO_DOMAIN = "no_domain"


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Which inputs each provider needs: skip trace looks people up by name and city/state; Apollo's
# people match needs a name and the company domain.
PROVIDER_NEEDS: dict[str, tuple[str, ...]] = {
    "skiptrace": (NO_PERSON_NAME, NO_US_LOCATION),
    "apollo": (NO_PERSON_NAME, NO_DOMAIN),
}

_BUSINESS_WORDS = _wordset("""
llc inc co corp company ltd realty realtors group team studio studios salon spa fitness gym
official shop store boutique bakery cafe restaurant kitchen media agency marketing services
solutions club academy the and of homes properties barbershop beauty nails lashes realtor
realty broker agent coach trainer artist creator photography design designs daily news tv
""")
_HONORIFICS = frozenset({"dr", "mr", "mrs", "ms", "miss", "mx", "prof", "coach", "chef"})
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "md", "phd", "dds", "cpa", "esq", "rn"})
_NAME_WORD = re.compile(r"^[^\W\d_]+(?:['’\-][^\W\d_]+)*$")
_SEPARATORS = re.compile(r"\s*(?:[|•·/]|\s[-–—]\s|,).*$")
# a character every separator has: without one, `_SEPARATORS` cannot match (a cheaper search)
_SEPARATOR_CHARS = re.compile(r"[|•·/,\-–—]").search
_COUNTRY_SUFFIX = re.compile(
    r"[,\s]+(?:usa|u\.s\.a\.?|us|u\.s\.?|united states(?: of america)?)$", re.IGNORECASE)
_ZIP = re.compile(r"[,\s]+(\d{5})(?:-\d{4})?$")
_CITY = re.compile(r"^[a-z][a-z .'\-]{0,40}[a-z.]$")
_STATE_TAIL = {n: re.compile(rf"(?:^|[,\s])((?:[A-Za-z.]+\s){{{n - 1}}}[A-Za-z.]+)$")
               for n in (1, 2, 3)}
_CITY_ALIASES = {"nyc": ("New York", "NY"), "la": ("Los Angeles", "CA"),
                 "sf": ("San Francisco", "CA"), "dc": ("Washington", "DC")}
_NON_COMPANY_HOSTS = _wordset("""
linktr.ee linkin.bio beacons.ai bio.link lnk.bio campsite.bio stan.store bit.ly tinyurl.com
instagram.com tiktok.com x.com twitter.com threads.net threads.com facebook.com fb.com
youtube.com youtu.be linkedin.com pinterest.com snapchat.com t.me wa.me gmail.com
onlyfans.com patreon.com spotify.com apple.com amazon.com etsy.com substack.com medium.com
""")
_DOMAIN_IN_TEXT = re.compile(
    r"(?<![@\w.])(?:https?://)?(?:www\.)?((?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+"
    r"(?:com|net|org|co|io|biz|us|info|realty|homes|studio|shop|store|fit|app|dev|ai))\b",
    re.IGNORECASE)


def person_name(display_name: str | None) -> tuple[str, str] | None:
    """(first, last) when the display name looks like a person's name, else None."""
    if not display_name:
        return None
    text = unicodedata.normalize("NFKC", display_name).strip()
    if _SEPARATOR_CHARS(text):
        text = _SEPARATORS.sub("", text)
    # emoji and other symbols separate a name from decoration: keep the first segment
    marked = text.translate(_ASCII_MARKS) if text.isascii() else "".join(
        "|" if _is_mark(ch) else ch for ch in text)
    text = next((part.strip() for part in marked.split("|") if part.strip()), "")
    words = [w.strip(".") for w in text.split()]
    while words and words[0].lower() in _HONORIFICS:
        words.pop(0)
    while words and words[-1].lower() in _SUFFIXES:
        words.pop()
    if not 2 <= len(words) <= 4:
        return None
    if any(not _NAME_WORD.match(w) or w.lower() in _BUSINESS_WORDS for w in words):
        return None
    if len(words[0]) < 2 or len(words[-1]) < 2:
        return None
    return _name_case(words[0]), _name_case(words[-1])


def _is_mark(ch: str) -> bool:
    """A symbol or a control character (what separates a name from its decoration)."""
    return unicodedata.category(ch)[0] in "SC"


_ASCII_MARKS = {code: "|" for code in range(128) if _is_mark(chr(code))}


def _name_case(word: str) -> str:
    if word.islower() or word.isupper():
        return "-".join(part.capitalize() for part in word.split("-"))
    return word


@functools.lru_cache(maxsize=8192)
def us_location(location: str | None) -> tuple[str, str, str | None] | None:
    """(city, two-letter state, zip or None) for a US city location, else None.

    A bare two-letter code needs a comma before it or capitals (`Austin TX`), so that
    `living in la` is not read as Louisiana. Remembered for the last 8,192 texts: a pool's
    locations are mostly the same few thousand cities, written the same few ways (the cards
    step parses one per profile).
    """
    if not location:
        return None
    text = " ".join(unicodedata.normalize("NFKC", location).split()).strip(" ,.")
    text = _COUNTRY_SUFFIX.sub("", text).strip(" ,")
    if text.lower() in _CITY_ALIASES:
        city, state = _CITY_ALIASES[text.lower()]
        return city, state, None
    zip_match = _ZIP.search(text)
    zip_code = zip_match.group(1) if zip_match else None
    if zip_match:
        text = text[: zip_match.start()].strip(" ,")
    found = _state_suffix(text)
    if found is None:
        return None
    state, rest = found
    city = rest.strip(" ,.").lower()
    if not _CITY.match(city):
        return None
    return _city_case(city), state, zip_code


def _state_suffix(text: str) -> tuple[str, str] | None:
    """Find a state code or name at the end of `text`; return (code, text before it)."""
    for words in (3, 2, 1):
        match = _STATE_TAIL[words].search(text)
        if not match:
            continue
        candidate = match.group(1)
        code = STATE_NAMES.get(candidate.lower())
        bare = candidate.replace(".", "")
        before = text[: match.start(1)].rstrip(" ")
        if (code is None and words == 1 and bare.upper() in STATE_CODES
                and (bare.isupper() or before.endswith(","))):
            code = bare.upper()
        if code is not None:
            return code, text[: match.start(1)]
    return None


def _city_case(city: str) -> str:
    return " ".join(w if w in {"of", "de", "la"} and i
                    else "-".join(part.capitalize() for part in w.split("-"))
                    for i, w in enumerate(city.split()))


def company_domain(bio_url: str | None, bio: str | None) -> str | None:
    """A company domain from the bio link (unless social/link-in-bio) or from the bio text."""
    if bio_url:
        raw = bio_url.strip()
        host = urlsplit(raw if "://" in raw else f"https://{raw}").hostname or ""
        domain = _clean_host(host)
        if domain:
            return domain
    if not bio or "." not in bio:  # every domain `_DOMAIN_IN_TEXT` finds has a dot
        return None
    for match in _DOMAIN_IN_TEXT.finditer(bio):
        domain = _clean_host(match.group(1))
        if domain:
            return domain
    return None


def _clean_host(host: str) -> str | None:
    host = host.lower().strip(".")
    if host.startswith("www."):
        host = host[4:]
    if "." not in host:
        return None
    labels = host.split(".")
    if any(".".join(labels[i:]) in _NON_COMPANY_HOSTS for i in range(len(labels) - 1)):
        return None  # the site itself or one of its subdomains (m.youtube.com)
    return host


# `person_name`, or a twin that gives the same (the cards step's, `sxp.native.person_name`)
PersonName = Callable[[str | None], tuple[str, str] | None]


def derive_inputs(display_name: str | None, location: str | None, bio_url: str | None,
                  bio: str | None, name_of: PersonName = person_name) -> dict[str, Any]:
    """The `enrich_inputs` of a card: first/last name, city/state/zip, domain (None if unknown)."""
    name = name_of(display_name)
    place = us_location(location)
    return {
        "first_name": name[0] if name else None,
        "last_name": name[1] if name else None,
        "city": place[0] if place else None,
        "state": place[1] if place else None,
        "zip": place[2] if place else None,
        "domain": company_domain(bio_url, bio),
    }


# Each reason code, in the order reasons are given, and the inputs whose absence it names.
REASON_INPUTS: dict[str, tuple[str, ...]] = {
    NO_PERSON_NAME: ("first_name", "last_name"),
    NO_US_LOCATION: ("city", "state"),
    NO_DOMAIN: ("domain",),
}


def missing_reasons(inputs: dict[str, Any]) -> list[str]:
    """Every reason code that applies to these inputs, whatever the provider."""
    return [reason for reason, fields in REASON_INPUTS.items()
            if not all(inputs.get(name) for name in fields)]


def needs_of(provider: str) -> tuple[str, ...]:
    """The reason codes that stop `provider`: what it needs (a skip trace's, when unknown)."""
    return PROVIDER_NEEDS.get(provider, (NO_PERSON_NAME, NO_US_LOCATION))


def missing_for(inputs: dict[str, Any], provider: str) -> list[str]:
    """Reason codes why `provider` cannot look this card up; empty when it can."""
    needs = needs_of(provider)
    return [reason for reason in missing_reasons(inputs) if reason in needs]
