"""Every lead card has its Tier 1 profile (migration 086): what the foreign key guaranteed,
the statement triggers and the Tier 1 delete lock guarantee, against concurrent writers too."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from sxp.adapters.postgres.cards import hold_profiles
from sxp.adapters.postgres.erasures import hold_tier1_deletes
from sxp.bootstrap import App

from .concurrent import in_thread, waits_for_commit

Conn = psycopg.Connection[Any]
COLUMNS = "profile_id, platform, handle, profile_hash, readiness, readiness_score, base_confidence"
CARD = (f"INSERT INTO execution.lead_cards ({COLUMNS})"
        " VALUES (%s, 'tiktok', %s, 'h1', 'thin', 0, 0) RETURNING id")


def _profile(conn: Conn, handle: str) -> int:
    row = conn.execute(
        "INSERT INTO social.raw_social_profiles (platform, handle, content_hash, scraped_at)"
        " VALUES ('tiktok', %s, 'h1', now()) RETURNING id", (handle,)).fetchone()
    assert row is not None
    return int(row["id"])


@pytest.fixture
def conn(app: App) -> Iterator[Conn]:
    with app.connect() as c:
        yield c


def test_a_card_for_a_profile_not_in_tier1_is_refused_and_nothing_lands(conn: Conn) -> None:
    real = _profile(conn, "real_one")
    conn.commit()
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match="not in Tier 1"):
        conn.execute(f"INSERT INTO execution.lead_cards ({COLUMNS})"
                     " VALUES (%s, 'tiktok', 'real_one', 'h1', 'thin', 0, 0),"
                     " (%s, 'tiktok', 'ghost', 'h1', 'thin', 0, 0)", (real, real + 10_000))
    conn.rollback()
    assert conn.execute("SELECT count(*) AS n FROM execution.lead_cards").fetchone() == {"n": 0}


def test_a_carded_profile_cannot_be_deleted_and_a_card_keeps_its_profile(conn: Conn) -> None:
    first, second = _profile(conn, "first"), _profile(conn, "second")
    card = conn.execute(CARD, (first, "first")).fetchone()
    assert card is not None
    conn.commit()
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match="still has a lead card"):
        conn.execute("DELETE FROM social.raw_social_profiles WHERE id = %s", (first,))
    conn.rollback()
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match="cannot change its profile"):
        conn.execute("UPDATE execution.lead_cards SET profile_id = %s WHERE id = %s",
                     (second, card["id"]))
    conn.rollback()
    # an uncarded profile goes, and a card removed first frees its own
    conn.execute("DELETE FROM social.raw_social_profiles WHERE id = %s", (second,))
    conn.execute("DELETE FROM execution.lead_cards WHERE id = %s", (card["id"],))
    conn.execute("DELETE FROM social.raw_social_profiles WHERE id = %s", (first,))
    conn.commit()


def test_a_delete_waits_for_a_card_insert_of_its_profile_and_then_fails(app: App,
                                                                         conn: Conn) -> None:
    """The race the key's row lock closed: the delete cannot see the uncommitted card, so it
    waits on the lock and checks again once the card is committed."""
    profile = _profile(conn, "raced")
    conn.commit()
    conn.execute(CARD, (profile, "raced"))  # uncommitted: holds the lock shared

    def delete() -> None:
        with app.connect() as other:
            other.execute("DELETE FROM social.raw_social_profiles WHERE id = %s", (profile,))

    errors = waits_for_commit(conn, delete)
    assert [type(e) for e in errors] == [psycopg.errors.ForeignKeyViolation]


def test_a_card_insert_waits_for_a_delete_of_its_profile_and_then_fails(app: App,
                                                                         conn: Conn) -> None:
    profile = _profile(conn, "gone")
    conn.commit()
    conn.execute("DELETE FROM social.raw_social_profiles WHERE id = %s", (profile,))

    def insert() -> None:
        with app.connect() as other:
            other.execute(CARD, (profile, "gone"))

    errors = waits_for_commit(conn, insert)
    assert [type(e) for e in errors] == [psycopg.errors.ForeignKeyViolation]
    assert conn.execute("SELECT count(*) AS n FROM execution.lead_cards").fetchone() == {"n": 0}


def test_a_cards_step_holding_its_profiles_makes_an_erasure_wait(app: App, conn: Conn) -> None:
    """The cards step holds Tier 1 from before it reads, so the erasure never finds a card
    it did not know of half-written: it waits and then sees it."""
    profile = _profile(conn, "held")
    conn.commit()
    hold_profiles(conn)
    seen: list[int] = []

    def erase() -> None:
        with app.connect() as other:
            hold_tier1_deletes(other)
            row = other.execute("SELECT count(*) AS n FROM execution.lead_cards"
                                " WHERE profile_id = %s", (profile,)).fetchone()
            seen.append(row["n"] if row else -1)

    thread, errors = in_thread(erase)
    thread.join(0.5)
    assert thread.is_alive() and not seen
    conn.execute(CARD, (profile, "held"))
    conn.commit()
    thread.join(10)
    assert errors == [] and seen == [1]
