"""The gate's SQL gives the Python reference's answers: the same reason for every card under
every provider chain (`ineligible_reason`), and eligible cards in `priority_key`'s order."""

from __future__ import annotations

import itertools
import random
import threading
import time
from contextlib import closing
from typing import Any

import orjson
import pytest

from sxp.adapters.postgres import gate_cards
from sxp.adapters.rules_file import load_ruleset
from sxp.bootstrap import App
from sxp.domain.gate import GateCard, ineligible_reason, priority_key
from sxp.domain.rules import GatePolicy
from sxp.pipeline.cards import build_cards
from sxp.pipeline.label import label_cards

from .conftest import ProfileMaker

POLICY = GatePolicy(enrichable_labels=["enrich_now", "enrich_later"],
                    min_readiness_score=0.35, min_base_confidence=0.5)
CHAINS = [("skiptrace",), ("apollo",), ("skiptrace", "apollo"), ("apollo", "skiptrace"),
          ("unknown_provider",)]
INPUT_VALUES: dict[str, list[Any]] = {
    "first_name": ["Avery", "", None], "last_name": ["Testerson", None],
    "city": ["Austin", "", None], "state": ["TX", None], "domain": ["biz.example.com", None]}


def _scramble(app: App, n: int) -> None:
    """Every card gets a drawn label, scores at and around the thresholds, and a drawn mix of
    present, empty, null and absent inputs (some cards none at all); all of them fresh."""
    draw = random.Random(14)
    labels = [None, "enrich_now", "enrich_later", "export_only", "hold"]
    scores = [0.0, 0.3499, 0.35, 0.4999, 0.5, 0.9, 1.0]
    with app.connect() as conn, conn.transaction():
        ids = [r["id"] for r in conn.execute("SELECT id FROM execution.lead_cards ORDER BY id")]
        assert len(ids) == n
        rows = []
        for card_id in ids:
            inputs = {k: draw.choice(v) for k, v in INPUT_VALUES.items()}
            kept = {} if draw.random() < 0.05 else {
                k: v for k, v in inputs.items() if v is not None or draw.random() < 0.5}
            rows.append((card_id, draw.choice(labels), draw.choice(scores),
                         draw.choice(scores), orjson.dumps(kept).decode()))
        conn.execute(
            "UPDATE execution.lead_cards c SET execution_label = r.label,"
            " readiness_score = r.readiness, base_confidence = r.confidence,"
            " enrich_inputs = r.inputs::jsonb, enrich_state = 'new', enrich_reason = NULL"
            " FROM unnest(%s::bigint[], %s::text[], %s::numeric[], %s::numeric[], %s::text[])"
            " AS r(id, label, readiness, confidence, inputs) WHERE c.id = r.id",
            [list(col) for col in zip(*rows, strict=True)])


def _cards(app: App) -> list[GateCard]:
    with app.connect() as conn:
        return [GateCard(card_id=r["id"], execution_label=r["execution_label"],
                         readiness_score=float(r["readiness_score"]),
                         base_confidence=float(r["base_confidence"]),
                         enrich_inputs=r["enrich_inputs"] or {})
                for r in conn.execute(
                    "SELECT id, execution_label, readiness_score, base_confidence,"
                    " enrich_inputs FROM execution.lead_cards ORDER BY id")]


@pytest.fixture
def scrambled(app: App, make_profiles: ProfileMaker) -> tuple[str, list[GateCard]]:
    make_profiles(400)
    build_cards(app)
    label_cards(app)
    _scramble(app, 400)
    return load_ruleset(app.settings).version, _cards(app)


@pytest.mark.parametrize("chain", CHAINS, ids=[",".join(c) for c in CHAINS])
def test_decide_gives_every_card_the_reference_reason(
        app: App, scrambled: tuple[str, list[GateCard]], chain: tuple[str, ...]) -> None:
    version, cards = scrambled
    expected = {c.card_id: ineligible_reason(c, POLICY, chain) for c in cards}
    assert len(set(expected.values())) >= 6  # every kind of answer is exercised
    with app.connect() as conn, conn.transaction():
        dry = gate_cards.count_reasons(conn, version, POLICY, chain)
        counted = gate_cards.decide(conn, version, POLICY, chain, everything=False)
        got = {r["id"]: (r["enrich_state"], r["enrich_reason"]) for r in conn.execute(
            "SELECT id, enrich_state, enrich_reason FROM execution.lead_cards")}
        eligible = gate_cards.count_eligible(conn, version, POLICY, chain)
    assert got == {cid: ("new", "budget_exhausted") if reason is None else ("ineligible", reason)
                   for cid, reason in expected.items()}
    refused = {reason: sum(1 for r in expected.values() if r == reason)
               for reason in set(expected.values()) - {None}}
    assert counted == dry == refused
    assert eligible == sum(1 for r in expected.values() if r is None)


def test_eligible_cards_stream_best_first_and_stop_where_the_reader_stops(
        app: App, scrambled: tuple[str, list[GateCard]]) -> None:
    version, cards = scrambled
    chain = ("skiptrace", "apollo")
    expected = sorted((c for c in cards if ineligible_reason(c, POLICY, chain) is None),
                      key=lambda c: priority_key(c, POLICY))
    assert {c.execution_label for c in expected} == {"enrich_now", "enrich_later"}
    with app.connect() as conn, conn.transaction():
        # a dry run's view: the fresh cards judged as they are read
        judged = list(gate_cards.iter_eligible(conn, version, POLICY, chain, chunk=7,
                                               decided=False))
        assert gate_cards.count_eligible(conn, version, POLICY, chain,
                                         decided=False) == len(expected)
        gate_cards.decide(conn, version, POLICY, chain, everything=False)
        streamed = list(gate_cards.iter_eligible(conn, version, POLICY, chain, chunk=7))
        with closing(gate_cards.iter_eligible(conn, version, POLICY, chain)) as again:
            first = list(itertools.islice(again, 5))
        # a stopped reader leaves the connection usable for the next statement
        assert gate_cards.count_eligible(conn, version, POLICY, chain) == len(expected)
    assert judged == expected
    assert streamed == expected
    assert first == expected[:5]


def test_judging_everything_again_leaves_cards_with_stale_labels_fresh(
        app: App, scrambled: tuple[str, list[GateCard]]) -> None:
    """Cards waiting for budget were all judged under the recorded basis: judged again, those
    whose labels are no longer current wait, undecided, until they are."""
    version, cards = scrambled
    chain = ("skiptrace",)
    eligible = {c.card_id for c in cards if ineligible_reason(c, POLICY, chain) is None}
    stale = sorted(eligible)[:10]
    with app.connect() as conn, conn.transaction():
        gate_cards.decide(conn, version, POLICY, chain, everything=False)
        conn.execute("UPDATE execution.lead_cards SET labeled_hash = 'elsewhere@older'"
                     " WHERE id = ANY(%s)", (stale,))
        gate_cards.decide(conn, version, POLICY, chain, everything=True)
        fresh = {r["id"] for r in conn.execute(
            "SELECT id FROM execution.lead_cards"
            " WHERE enrich_state = 'new' AND enrich_reason IS NULL")}
        waiting = gate_cards.count_eligible(conn, version, POLICY, chain)
    assert fresh == set(stale)
    assert waiting == len(eligible) - len(stale)


def test_a_card_builder_adopts_the_basis_and_waits_out_a_gate_pass(app: App) -> None:
    with app.connect() as conn, conn.transaction():
        assert gate_cards.adopt_basis(conn, "v1|skiptrace|{}")  # none recorded: adopted
        assert gate_cards.basis(conn) == "v1|skiptrace|{}"
    adopted: dict[str, Any] = {}

    def builder() -> None:
        with app.connect() as conn, conn.transaction():
            adopted["same"] = gate_cards.adopt_basis(conn, "v1|skiptrace|{}")
            adopted["at"] = time.monotonic()

    with app.connect() as conn, conn.transaction():  # a gate pass under other settings
        gate_cards.hold_basis(conn)
        gate_cards.record_basis(conn, "v1|apollo|{}")
        waiting = threading.Thread(target=builder)
        waiting.start()
        time.sleep(0.3)
        assert waiting.is_alive()  # no card is decided while a pass may record another basis
        released = time.monotonic()
    waiting.join(5)
    # it decides nothing under its own basis: the pass recorded another one
    assert adopted["same"] is False and adopted["at"] >= released
