"""Cards encoded as COPY text rows by the workers land in tmp_cards exactly as psycopg's own
row writer puts them there, tabs, newlines, backslashes, quotes and all."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from sxp.adapters.postgres import cards as repo
from sxp.adapters.postgres.named_sql import query
from sxp.adapters.rules_file import load_ruleset
from sxp.bootstrap import App
from sxp.domain.cards import SIGNAL_FIELDS, split_signals
from sxp.domain.rules import Ruleset
from sxp.pipeline.cards_parallel import score_rows

WHEN = datetime(2026, 11, 1, tzinfo=UTC)


def _rows() -> list[tuple[Any, ...]]:
    tricky = {"display_name": 'Zoë "Q" O\'Neil \\ tab\there', "bio": "two\nlines\r, \\N and ;|",
              "location": "Austin,\tTX \\", "handle": "tab\there\\back\nline"}
    plain = {"display_name": None, "bio": None, "location": None, "handle": "plain"}
    rows = [{"profile_id": i, "platform": "x", "content_hash": f"h{i}", "scraped_at": WHEN,
             "bio_url": "https://biz.example.com", "is_verified": False, "followers": 1200,
             "following": 10, "posts": 40, "likes": 300, "account_created_at": None,
             "bio_has_contact": False, **values}
            for i, values in enumerate([tricky, plain, tricky])]
    return [tuple(row[f] for f in SIGNAL_FIELDS) for row in rows]


def _written(conn: Any) -> list[tuple[Any, ...]]:
    rows = conn.execute("SELECT * FROM tmp_cards ORDER BY profile_id").fetchall()
    conn.execute("TRUNCATE tmp_cards")
    return [tuple(r.values()) for r in rows]


def _tricky_ruleset(ruleset: Ruleset) -> Ruleset:
    """The shipped rules with a version and label values COPY must escape, and no default."""
    labels = [spec.model_copy(update={"default": None if spec.name == "tribe" else
                                      f"{spec.default}\\\t\n\r"}) for spec in ruleset.labels]
    return ruleset.model_copy(update={"version": "v\\1\t", "labels": labels})


@pytest.mark.parametrize("tricky_rules", [False, True])
def test_encoded_rows_equal_what_the_row_writer_writes(app: App, tricky_rules: bool) -> None:
    ruleset = load_ruleset(app.settings)
    if tricky_rules:
        ruleset = _tricky_ruleset(ruleset)
    decisions = [("new", None), ("ineligible", "label_\\hold\t"), ("new", "budget_exhausted")]
    cards = [(*card, decision) for card, decision in zip(score_rows(ruleset, _rows()),
                                                          decisions, strict=True)]
    with app.connect() as conn, conn.transaction():
        labeled_at = repo.transaction_time(conn)
        repo.start_card_copy(conn)
        repo.copy_card_rows(conn, repo.card_copy_rows(cards, ruleset.version, labeled_at))
        ours = _written(conn)
        with conn.cursor().copy("COPY tmp_cards FROM STDIN") as copy:  # the reference
            for profile, scores, labeling, (state, reason) in cards:
                labels = labeling.labels
                copy.write_row((
                    profile.profile_id, profile.platform, profile.handle, profile.content_hash,
                    scores.readiness, scores.readiness_score, scores.base_confidence,
                    *(orjson.dumps(part).decode() for part in split_signals(scores.signals)),
                    orjson.dumps(scores.enrich_inputs).decode(), labels.get("persona"),
                    labels.get("tribe"), labels.get("audience_pool"),
                    labels.get("execution_label"), ruleset.version,
                    orjson.dumps(labeling.rules_fired).decode(),
                    f"{profile.content_hash}@{ruleset.version}", WHEN, state, reason))
        reference = _written(conn)
        now = conn.execute("SELECT now() AS now").fetchone()["now"]
    assert [row[:-3] for row in ours] == [row[:-3] for row in reference]
    assert [row[-2:] for row in ours] == [row[-2:] for row in reference]
    assert {row[-3] for row in ours} == {now}  # the transaction's time, read back exactly
    assert ours[0][2] == "tab\there\\back\nline"
    assert repo.card_copy_rows([], ruleset.version, labeled_at) == b""


def test_stale_profiles_are_read_in_the_order_of_the_card_signals(app: App) -> None:
    """The cards step builds each profile from a row tuple: the query's columns must be the
    fields of `ProfileSignals`, in order, and then whether the profile has a card."""
    with app.connect() as conn, conn.cursor() as cur:
        cur.execute(query("cards", "stale_profiles") + " LIMIT 0",
                    {"source_file_id": None, "first_id": 0, "last_id": 0})
        assert cur.description is not None
        assert tuple(column.name for column in cur.description) == (*SIGNAL_FIELDS, "has_card")
