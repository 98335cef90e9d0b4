"""Suppressions repository (`social.suppressions`): keyed hashes of subjects kept out of sxp.

The hashes are HMAC-SHA256 under the privacy key (`sxp.domain.privacy.keyed_hash`); ingest
compares them in SQL with the key's HMAC pads, so the key never leaves the process either.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import psycopg

Conn = psycopg.Connection[Any]


def add(conn: Conn, entries: Iterable[tuple[str, str]], source: str) -> int:
    """Add (hmac, kind) entries; the number new to the list."""
    rows = list(entries)
    if not rows:
        return 0
    return conn.execute(
        "INSERT INTO social.suppressions (hmac, kind, source)"
        " SELECT h, k, %s FROM unnest(%s::text[], %s::text[]) AS e(h, k)"
        " ON CONFLICT (hmac) DO NOTHING", (source, [h for h, _ in rows],
                                           [k for _, k in rows])).rowcount


def has_kind(conn: Conn, kind: str) -> bool:
    return conn.execute("SELECT 1 FROM social.suppressions WHERE kind = %s LIMIT 1",
                        (kind,)).fetchone() is not None


def hashes_of(conn: Conn, kinds: tuple[str, ...]) -> set[str]:
    """The hashes of those kinds (contact points: small next to the pool)."""
    return {r["hmac"] for r in conn.execute(
        "SELECT hmac FROM social.suppressions WHERE kind = ANY(%s)", (list(kinds),))}


def counts(conn: Conn) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for r in conn.execute("SELECT kind, source, count(*) AS n FROM social.suppressions"
                          " GROUP BY 1, 2"):
        out.setdefault(r["kind"], {})[r["source"]] = int(r["n"])
    return out


def contact_points(conn: Conn, card_ids: list[int]) -> tuple[list[str], list[str]]:
    """The e-mails and phones Tier 2 holds for the cards (to suppress before erasing them)."""
    emails: set[str] = set()
    phones: set[str] = set()
    for r in conn.execute("SELECT emails, phones FROM contact.contacts"
                          " WHERE card_id = ANY(%s::bigint[])", (card_ids,)):
        for e in r["emails"] or []:
            value = e.get("address") or e.get("email") if isinstance(e, dict) else e
            if value:
                emails.add(str(value))
        for p in r["phones"] or []:
            value = (p.get("e164") or p.get("number") or p.get("phone")) if isinstance(p, dict) \
                else p
            if value:
                phones.add(str(value))
    return sorted(emails), sorted(phones)
