"""Credit ledger repository: what the gate reserves and the enrich step spends and releases.

Every gate serializes on the budget (`lock_budget`); a batch has one `reserve` row per
provider of its waterfall, and settling writes its `spend` and `release` rows once each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg

from sxp.adapters.postgres.named_sql import query

Conn = psycopg.Connection[Any]


@dataclass(frozen=True)
class Reservation:
    provider: str
    credits: int
    budget_day: date


def lock_budget(conn: Conn) -> None:
    """Serialize every gate on the credit budget until the caller's transaction ends."""
    conn.execute(query("ledger", "lock_budget"))


def ledger_today(conn: Conn, provider: str | None = None) -> tuple[int, int]:
    """(reserved, released) credits for today's budget day, of one provider or of all."""
    row = conn.execute(query("ledger", "today"), {"provider": provider}).fetchone()
    assert row is not None
    return int(row["reserved"]), int(row["released"])


def ledger_today_by_provider(conn: Conn) -> dict[str, dict[str, int]]:
    """Today's reserve/spend/release credits per provider (rows of a budget day)."""
    out: dict[str, dict[str, int]] = {}
    for r in conn.execute(query("ledger", "today_by_provider")):
        entries = out.setdefault(str(r["provider"]), {"reserve": 0, "spend": 0, "release": 0})
        entries[str(r["entry"])] = int(r["credits"])
    return out


def reserve(conn: Conn, batch_id: str, credits: dict[str, int]) -> None:
    """One `reserve` row per provider of the batch's waterfall."""
    conn.execute(query("ledger", "reserve"), {
        "batch_id": batch_id, "providers": list(credits), "credits": list(credits.values())})


def reservations(conn: Conn, batch_id: str) -> list[Reservation]:
    rows = conn.execute(query("ledger", "reservations"), {"batch_id": batch_id}).fetchall()
    return [Reservation(str(r["provider"]), int(r["credits"]), r["budget_day"]) for r in rows]


def settle(conn: Conn, batch_id: str, reservation: Reservation, spent: int) -> None:
    """`spend` what the batch's calls paid and `release` the rest of one reservation (once)."""
    for entry, credits in (("spend", spent), ("release", max(reservation.credits - spent, 0))):
        conn.execute(query("ledger", "settle_entry"), {
            "provider": reservation.provider, "batch_id": batch_id, "entry": entry,
            "credits": credits, "budget_day": reservation.budget_day})


def totals_by_entry(conn: Conn) -> dict[str, int]:
    return {str(r["k"]): int(r["n"]) for r in conn.execute(query("ledger", "totals_by_entry"))}
