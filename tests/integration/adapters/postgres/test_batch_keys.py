"""A batch's cards name their batch and a consumer's holdings their consumer (migration 090):
what the foreign keys guaranteed, the statement triggers guarantee, against concurrent writers
too."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from sxp.bootstrap import App

from .concurrent import waits_for_commit

Conn = psycopg.Connection[Any]
BATCH_CARD = ("INSERT INTO execution.batch_cards (batch_id, card_id, version, action)"
              " VALUES (%s, %s, 1, 'record')")
HELD_CARD = ("INSERT INTO execution.consumer_cards (consumer_id, card_id, version, batch_id)"
             " VALUES (%s, %s, 1, %s)")


@pytest.fixture
def conn(app: App) -> Iterator[Conn]:
    with app.connect() as c:
        yield c


def _consumer(conn: Conn, name: str) -> int:
    row = conn.execute("INSERT INTO execution.consumers (name, transport) VALUES (%s, 'file')"
                       " RETURNING id", (name,)).fetchone()
    assert row is not None
    return int(row["id"])


def _batch(conn: Conn, batch_id: str, consumer_id: int) -> str:
    conn.execute("INSERT INTO execution.export_batches (id, env, card_count, manifest_key,"
                 " consumer_id, sequence) VALUES (%s, 'test', 0, 'k', %s, 1)",
                 (batch_id, consumer_id))
    return batch_id


def _count(conn: Conn, table: str) -> int:
    row = conn.execute(f"SELECT count(*) AS n FROM execution.{table}").fetchone()
    return int(row["n"]) if row else 0


def test_cards_of_a_missing_batch_or_consumer_are_refused_and_nothing_lands(conn: Conn) -> None:
    consumer = _consumer(conn, "keys-a")
    batch = _batch(conn, "xb-keys-a", consumer)
    conn.commit()
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match="xb-ghost, which does not"):
        conn.execute("INSERT INTO execution.batch_cards (batch_id, card_id, version, action)"
                     " VALUES (%s, 1, 1, 'record'), ('xb-ghost', 2, 1, 'record')", (batch,))
    conn.rollback()
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match="which does not exist"):
        conn.execute(HELD_CARD, (consumer + 10_000, 1, batch))
    conn.rollback()
    assert _count(conn, "batch_cards") == _count(conn, "consumer_cards") == 0
    conn.execute(BATCH_CARD, (batch, 1))
    conn.execute(HELD_CARD, (consumer, 1, batch))
    conn.commit()
    assert _count(conn, "batch_cards") == _count(conn, "consumer_cards") == 1


def test_a_named_batch_or_consumer_stays_and_keys_do_not_move(conn: Conn) -> None:
    consumer, other = _consumer(conn, "keys-b"), _consumer(conn, "keys-c")
    holder = _consumer(conn, "keys-g")  # holds a card and owns no batch (their own key)
    batch, spare = _batch(conn, "xb-keys-b", consumer), _batch(conn, "xb-keys-c", other)
    conn.execute(BATCH_CARD, (batch, 1))
    conn.execute(HELD_CARD, (holder, 1, batch))
    conn.commit()
    refused = [
        ("DELETE FROM execution.export_batches WHERE id = %s", (batch,), "still has batch"),
        ("DELETE FROM execution.consumers WHERE id = %s", (holder,), "still holds cards"),
        ("UPDATE execution.batch_cards SET batch_id = %s", (spare,), "batch_id cannot change"),
        ("UPDATE execution.consumer_cards SET consumer_id = %s", (other,),
         "consumer_id cannot change"),
        ("UPDATE execution.export_batches SET id = 'xb-renamed' WHERE id = %s", (batch,),
         "id cannot change"),
        ("UPDATE execution.consumers SET id = id + 100 WHERE id = %s", (holder,),
         "id cannot change"),
    ]
    for statement, params, message in refused:
        with pytest.raises(psycopg.errors.ForeignKeyViolation, match=message):
            conn.execute(statement, params)
        conn.rollback()
    # what names nothing goes; the rest goes once what named it has gone
    conn.execute("UPDATE execution.consumer_cards SET version = 2, batch_id = %s", (spare,))
    conn.execute("DELETE FROM execution.export_batches WHERE id = %s", (spare,))
    conn.execute("DELETE FROM execution.consumer_cards")
    conn.execute("DELETE FROM execution.batch_cards")
    conn.execute("DELETE FROM execution.export_batches WHERE id = %s", (batch,))
    conn.execute("DELETE FROM execution.consumers WHERE id = ANY(%s)",
                 ([consumer, other, holder],))
    conn.commit()


def test_a_batch_delete_waits_for_its_cards_insert_and_then_fails(app: App, conn: Conn) -> None:
    """The race the key's row lock closed: the delete cannot see the uncommitted cards, so it
    waits on the batch's lock and checks again once they are committed."""
    batch = _batch(conn, "xb-keys-raced", _consumer(conn, "keys-d"))
    conn.commit()
    conn.execute(BATCH_CARD, (batch, 7))  # uncommitted: holds the batch FOR KEY SHARE

    def delete() -> None:
        with app.connect() as other:
            other.execute("DELETE FROM execution.export_batches WHERE id = %s", (batch,))

    errors = waits_for_commit(conn, delete)
    assert [type(e) for e in errors] == [psycopg.errors.ForeignKeyViolation]


def test_a_cards_insert_waits_for_a_delete_of_its_batch_and_then_fails(app: App,
                                                                      conn: Conn) -> None:
    consumer = _consumer(conn, "keys-e")
    batch = _batch(conn, "xb-keys-gone", consumer)
    conn.commit()
    conn.execute("DELETE FROM execution.export_batches WHERE id = %s", (batch,))

    def insert() -> None:
        with app.connect() as other:
            other.execute(BATCH_CARD, (batch, 8))

    errors = waits_for_commit(conn, insert)
    assert [type(e) for e in errors] == [psycopg.errors.ForeignKeyViolation]
    assert _count(conn, "batch_cards") == 0


def test_the_export_role_writes_its_batches_cards_and_holdings(app: App, conn: Conn) -> None:
    """The export's role writes a batch's cards and holdings, the checks' lookups and locks
    included (they run as their owner)."""
    consumer = _consumer(conn, "keys-f")
    batch = _batch(conn, "xb-keys-role", consumer)
    conn.commit()
    conn.execute("SET ROLE sxp_export")
    conn.execute(BATCH_CARD, (batch, 9))
    conn.execute(HELD_CARD, (consumer, 9, batch))
    conn.commit()
    conn.execute("RESET ROLE")
    assert _count(conn, "batch_cards") == _count(conn, "consumer_cards") == 1


@pytest.mark.parametrize(("version", "supersedes"), [(0, None), (2, 0)])
def test_a_batch_cards_versions_start_at_one(conn: Conn, version: int, supersedes: int) -> None:
    """What `versions.jsonl` promises (migration 091): the export writes its lines from the rows."""
    batch = _batch(conn, "xb-keys-versions", _consumer(conn, "keys-h"))
    with pytest.raises(psycopg.errors.CheckViolation, match="batch_cards_versions_check"):
        conn.execute("INSERT INTO execution.batch_cards (batch_id, card_id, version,"
                     " supersedes_version, action) VALUES (%s, 1, %s, %s, 'record')",
                     (batch, version, supersedes))
    conn.rollback()
