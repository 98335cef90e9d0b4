"""The compiled ruleset gives exactly the labels and rules fired of the reference engine
(`rules.label`), on the shipped rules file and on a ruleset that exercises every operator,
both label modes, priority ties, labels that test earlier (and later) labels, keywords on
texts that are not ASCII (where ignoring case is more than lowering) and rules file text that
must stay a value."""

from __future__ import annotations

import random
from typing import Any

from sxp.adapters.rules_file import load_ruleset
from sxp.config import Settings
from sxp.domain.rule_compiler import compile_ruleset
from sxp.domain.rules import Ruleset, label

from ..profile_rows import profile_rows

FIELDS: dict[str, list[Any]] = {
    "bio": [None, "", "Realtor in Austin", "personal TRAINER  and coach", "just vibes",
            "lash   tech", "owner of roofco.com", 42, "REALTOR", "realtors", "xrealtor",
            "lash\u00a0tech", "lash\ttech", "\u212aw caf\u00e9 owner", "CAF\u00c9 OWNER",
            "caf\u00e9owner", "re\u0131ltor \u017ftraße", "\u0130nk stra\u00dfe shop",
            "pilates_studio", "co-founder", "CO-FOUNDER!", "cofounder", "ﬁtness ﬂow",
            "p\u0131lates", "\u017ftra!", "KILT", "a kilt", "k\u0131lt"],
    "followers": [None, 0, 5, 999, 1000, 250_000, "many", 3.5],
    "platform": [None, "x", "tiktok", "threads"],
    "is_verified": [None, True, False],
    "tags": [None, [], ["a"], "a"],
    "after": [None, "", "given"],
    "has_person_name": [None, True, False],
    "readiness_score": [None, 0.0, 0.35, 0.9, 1.0],
}
SYNTHETIC = {
    "version": "test-ops",
    "labels": [{"name": "first", "mode": "first_match", "default": "none"},
               {"name": "best", "mode": "priority"},
               {"name": "after", "mode": "first_match", "default": "d"},
               {"name": "blank", "mode": "first_match", "default": "d"},
               {"name": "empty", "mode": "first_match", "default": "d"}],
    "rules": [
        {"id": "r.kw", "when": {"field": "bio", "op": "contains_any",
                                "value": ["realtor", "personal trainer", "lash tech"]},
         "set": {"first": "kw", "best": "kw"}, "priority": 5},
        {"id": "r.big", "when": {"all": [{"field": "followers", "op": "gte", "value": 1000},
                                         {"not": {"field": "platform", "op": "eq",
                                                  "value": "x"}}]},
         "set": {"first": "big", "best": "big"}, "priority": 5},
        {"id": "r.any", "when": {"any": [{"field": "is_verified", "op": "eq", "value": True},
                                         {"field": "followers", "op": "lt", "value": 10}]},
         "set": {"best": "any"}, "priority": 9},
        {"id": "r.in", "when": {"field": "platform", "op": "in", "value": ["tiktok", "threads"]},
         "set": {"first": "in"}, "priority": 1},
        {"id": "r.notin", "when": {"field": "platform", "op": "not_in", "value": ["x"]},
         "set": {"best": "notin"}, "priority": 9},
        {"id": "r.ne", "when": {"field": "has_person_name", "op": "ne", "value": True},
         "set": {"best": "ne"}, "priority": 2},
        {"id": "r.exists", "when": {"field": "tags", "op": "exists"},
         "set": {"first": "tags"}},
        {"id": "r.blank", "when": {"field": "bio", "op": "contains_any",
                                   "value": ["  ", "xyzzy"]},  # a keyword of no word
         "set": {"blank": "blank"}},
        {"id": "r.empty", "when": {"field": "bio", "op": "contains_any", "value": []},
         "set": {"empty": "empty"}},
        {"id": "r.self", "when": {"field": "first", "op": "eq", "value": "none"},
         "set": {"first": "self", "after": "self"}},
        {"id": "r.missing", "when": {"field": "tags", "op": "exists", "value": False},
         "set": {"after": "no_tags"}},
        {"id": "r.gt", "when": {"field": "readiness_score", "op": "gt", "value": 0.35},
         "set": {"after": "ready"}, "priority": 3},
        {"id": "r.lte", "when": {"field": "readiness_score", "op": "lte", "value": 0.35},
         "set": {"best": "low"}, "priority": 9},
        {"id": "r.chain", "when": {"field": "first", "op": "in", "value": ["kw", "big"]},
         "set": {"after": "chained"}},
        {"id": "r.unicode", "when": {"field": "bio", "op": "contains_any",
                                     "value": ["café owner", "straße", "kw shop", "fitness",
                                               "k\u0131lt"]},
         "set": {"first": "unicode", "after": "unicode"}},
        {"id": "r.ascii", "when": {"field": "bio", "op": "contains_any",
                                   "value": ["co-founder", "realtor", "pilates", "stra"]},
         "set": {"after": "ascii"}, "priority": 4},
        {"id": "r.label_words", "when": {"field": "first", "op": "contains_any",
                                         "value": ["KW", "tags"]},
         "set": {"after": "label_words"}},
        {"id": "r.later_label", "when": {"field": "after", "op": "exists"},
         "set": {"first": "after_known"}},
        {"id": "'), __import__('os').system('false'), (\"", "priority": 1,
         "when": {"field": "platform", "op": "gt", "value": "tiktok"},
         "set": {"best": "\"'; raise SystemExit  # "}},
    ],
    "gate": {"enrichable_labels": ["kw"]},
}


def _facts(n: int) -> list[dict[str, Any]]:
    draw = random.Random(14)
    return [{k: draw.choice(v) for k, v in FIELDS.items() if draw.random() < 0.9}
            for _ in range(n)]


def _same(ruleset: Ruleset, facts: list[dict[str, Any]]) -> None:
    compiled = compile_ruleset(ruleset)
    for one in facts:
        assert compiled(one) == label(ruleset, one), one


def test_every_operator_and_mode_labels_as_the_reference() -> None:
    ruleset = Ruleset.model_validate(SYNTHETIC)
    facts = _facts(3000)
    _same(ruleset, facts)
    compiled = compile_ruleset(ruleset)
    fired = {rule_id for one in facts for rule_id in compiled(one).rules_fired}
    assert fired == {rule["id"] for rule in SYNTHETIC["rules"]}  # every rule won somewhere


def test_the_shipped_rules_label_as_the_reference() -> None:
    from sxp.domain.cards import ProfileSignals, score_card, scored_facts

    ruleset = load_ruleset(Settings())
    facts = []
    for row in profile_rows(2000):
        profile = ProfileSignals(**row)
        facts.append(scored_facts(profile, score_card(profile)))
    _same(ruleset, facts)
