"""`sxp rules diff FILE`: what a new ruleset would change in the current pool, changing nothing.

Every card is labeled again under the new rules, in one read-only transaction: per label, how
many cards would move from which value to which; and what the next gate pass would form from
the cards waiting for it, under the current rules and under the new ones, within today's
budgets. Switching SXP_RULES_FILE to the new file relabels the pool on the next run (the label
step relabels every card whose ruleset version differs).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sxp.adapters.postgres import cards as repo
from sxp.bootstrap import App
from sxp.domain.cards import label_facts
from sxp.domain.gate import GateCard
from sxp.domain.rule_compiler import compile_ruleset
from sxp.domain.rules import Ruleset
from sxp.pipeline.gate import plan_cost

LABELS = ("persona", "tribe", "audience_pool", "execution_label")


@dataclass
class RulesDiff:
    current_version: str
    new_version: str
    cards: int = 0
    cards_changed: int = 0  # cards with at least one label that would change
    # label -> "old -> new" -> cards
    changes: dict[str, dict[str, int]] = field(default_factory=dict)
    gate_now: dict[str, int] = field(default_factory=dict)
    gate_new: dict[str, int] = field(default_factory=dict)


def diff_rules(app: App, new: Ruleset) -> RulesDiff:
    current = app.ruleset()
    result = RulesDiff(current.version, new.version)
    moves: dict[str, Counter[str]] = {name: Counter() for name in LABELS}
    labeler = compile_ruleset(new)
    waiting_now: list[GateCard] = []
    waiting_new: list[GateCard] = []
    with app.connect() as conn, conn.transaction():
        conn.execute("SET TRANSACTION READ ONLY")
        for chunk in repo.iter_label_pool(conn):
            for card in chunk:
                result.cards += 1
                labels = labeler(label_facts(card, card)).labels
                changed = False
                for name in LABELS:
                    if labels.get(name) != card[name]:
                        moves[name][f"{card[name]} -> {labels.get(name)}"] += 1
                        changed = True
                result.cards_changed += changed
                if card["enrich_state"] == "new":
                    waiting_now.append(_gate_card(card, card["execution_label"]))
                    waiting_new.append(_gate_card(card, labels.get("execution_label")))
        result.gate_now = plan_cost(app, conn, current, waiting_now)
        result.gate_new = plan_cost(app, conn, new, waiting_new)
    result.changes = {name: dict(m.most_common()) for name, m in moves.items() if m}
    return result


def _gate_card(card: dict[str, Any], execution_label: str | None) -> GateCard:
    return GateCard(card_id=card["card_id"], execution_label=execution_label,
                    readiness_score=float(card["readiness_score"] or 0),
                    base_confidence=float(card["base_confidence"] or 0),
                    enrich_inputs=card["enrich_inputs"] or {})
