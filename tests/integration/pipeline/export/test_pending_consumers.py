"""Whether an export has work: a consumer whose cursor is behind the last place of the handoff
sequence (cards or tombstones), found by the sequences' indexes, never a scan of the cards."""

from __future__ import annotations

from collections.abc import Callable

from sxp.adapters.postgres import exports as repo
from sxp.adapters.postgres.named_sql import query
from sxp.bootstrap import App


def _set_cursor(app: App, sql: str) -> None:
    with app.connect() as conn:
        conn.execute(f"UPDATE execution.consumers SET cursor_seq = ({sql})")
        conn.commit()


def _ready(app: App) -> bool:
    with app.connect() as conn:
        return repo.has_ready_cards(conn)


def test_a_consumer_behind_the_last_card_or_tombstone_has_work(
        app: App, seed: Callable[..., list[int]]) -> None:
    assert not _ready(app)  # nothing in the sequence
    seed(3)
    assert _ready(app)
    last_card = "SELECT max(handoff_seq) FROM execution.lead_cards"
    _set_cursor(app, f"{last_card}) - (1")
    assert _ready(app)
    _set_cursor(app, last_card)
    assert not _ready(app)
    with app.connect() as conn:  # an erased card takes the next place
        erasure = conn.execute(
            "INSERT INTO execution.erasures (subject_kind, subject_hmac, requested_by)"
            " VALUES ('handle', 'h', 'test')"
            " RETURNING id").fetchone()
        assert erasure is not None
        conn.execute(
            "INSERT INTO execution.card_tombstones (card_id, erasure_id, version, handoff_seq)"
            f" VALUES (999999, %s, 1, ({last_card}) + 1)", (erasure["id"],))
        conn.commit()
    assert _ready(app)
    _set_cursor(app, f"{last_card}) + (1")
    assert not _ready(app)
    _set_cursor(app, "SELECT -1")
    with app.connect() as conn:  # an inactive consumer has none
        conn.execute("UPDATE execution.consumers SET state = 'paused'")
        conn.commit()
    assert not _ready(app)


def test_pending_consumers_reads_the_ends_of_the_sequence_indexes(
        app: App, seed: Callable[..., list[int]]) -> None:
    seed(3)
    with app.connect() as conn:
        plan = "\n".join(r["QUERY PLAN"] for r in conn.execute(
            "EXPLAIN " + query("exports", "pending_consumers")))
    assert "Seq Scan on lead_cards" not in plan, plan
    assert "Index Only Scan Backward using lead_cards_handoff_seq" in plan, plan
    assert "Index Only Scan Backward using card_tombstones_handoff_seq" in plan, plan
