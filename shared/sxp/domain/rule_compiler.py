"""The rules file compiled once into plain closures: the labels `rules.label` gives, faster.

`sxp.domain.rules.label` is the reference and stays the tests' oracle; this evaluates the
same ruleset without walking the models card by card: each label's candidate rules are found
once (those that set it), in the order that decides (file order for `first_match`; highest
priority first, file order breaking ties, for `priority`: the first match is the winner
either way), and each condition becomes a closure with its field, operator and value bound
(keyword patterns compiled, lists made tuples).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sxp.domain.rules import Condition, Labeling, Ruleset, keyword_pattern

Facts = dict[str, Any]
Test = Callable[[Facts], bool]
Labeler = Callable[[Facts], Labeling]


def compile_ruleset(ruleset: Ruleset) -> Labeler:
    """A function from one card's facts to its labels, as `rules.label(ruleset, facts)`.

    A rule that sets several labels is a candidate of each; its condition is tested once per
    card unless it reads a label (whose value the labels decided before it can change)."""
    label_names = {spec.name for spec in ruleset.labels}
    tests = [compile_condition(rule.when) for rule in ruleset.rules]
    memo_slot = [None if fields_of(rule.when) & label_names else index
                 for index, rule in enumerate(ruleset.rules)]
    plan = []
    for spec in ruleset.labels:
        candidates = [(index, rule) for index, rule in enumerate(ruleset.rules)
                      if spec.name in rule.set]
        if spec.mode == "priority":
            candidates.sort(key=lambda item: (-item[1].priority, item[0]))
        plan.append((spec.name, spec.default,
                     [(tests[index], memo_slot[index], rule.set[spec.name], rule.id)
                      for index, rule in candidates]))
    slots = len(ruleset.rules)

    def labeler(facts: Facts) -> Labeling:
        known = dict(facts)
        memo: list[bool | None] = [None] * slots
        labels: dict[str, str | None] = {}
        fired: list[str] = []
        for name, default, rules in plan:
            value = default
            for test, slot, setting, rule_id in rules:
                if slot is None:
                    hit = test(known)
                else:
                    cached = memo[slot]
                    hit = test(known) if cached is None else cached
                    memo[slot] = hit
                if hit:
                    value = setting
                    if rule_id not in fired:
                        fired.append(rule_id)
                    break
            labels[name] = value
            known[name] = value
        return Labeling(labels=labels, rules_fired=fired)

    return labeler


def fields_of(cond: Condition) -> set[str]:
    """Every fact the condition reads."""
    parts = cond.all or cond.any or ([cond.not_] if cond.not_ is not None else [])
    return {cond.field} if cond.field is not None else set().union(*map(fields_of, parts))


def compile_condition(cond: Condition) -> Test:
    if cond.all is not None:
        return _all([compile_condition(c) for c in cond.all])
    if cond.any is not None:
        return _any([compile_condition(c) for c in cond.any])
    if cond.not_ is not None:
        inner = compile_condition(cond.not_)
        return lambda facts: not inner(facts)
    assert cond.field is not None and cond.op is not None
    return _leaf(cond.op, cond.field, cond.value)


def _all(parts: list[Test]) -> Test:
    def test(facts: Facts) -> bool:
        for part in parts:  # noqa: SIM110 - a loop: no generator made per card
            if not part(facts):
                return False
        return True
    return test


def _any(parts: list[Test]) -> Test:
    def test(facts: Facts) -> bool:
        for part in parts:  # noqa: SIM110 - a loop: no generator made per card
            if part(facts):
                return True
        return False
    return test


def _leaf(op: str, field: str, expected: Any) -> Test:
    if op == "exists":
        return _exists(field, expected is None or expected is True)
    if op == "contains_any":
        search = keyword_pattern(tuple(expected)).search
        return lambda facts: (v := facts.get(field)) is not None and search(str(v)) is not None
    if op in ("in", "not_in"):
        return _membership(field, tuple(expected), op == "in")
    return _comparison(op, field, expected)


def _exists(field: str, wanted: bool) -> Test:
    def test(facts: Facts) -> bool:
        v = facts.get(field)
        present = v is not None and v != "" and v != []
        return present if wanted else not present
    return test


def _membership(field: str, values: tuple[Any, ...], inside: bool) -> Test:
    if inside:
        return lambda facts: (v := facts.get(field)) is not None and v in values
    return lambda facts: (v := facts.get(field)) is None or v not in values


def _comparison(op: str, field: str, expected: Any) -> Test:
    if op == "eq":
        return lambda facts: (v := facts.get(field)) is not None and bool(v == expected)
    if op == "ne":
        return lambda facts: (v := facts.get(field)) is None or bool(v != expected)
    compare = {"gt": lambda v: v > expected, "gte": lambda v: v >= expected,
               "lt": lambda v: v < expected, "lte": lambda v: v <= expected}.get(op)
    if compare is None:
        raise ValueError(f"unknown op {op}")

    def test(facts: Facts) -> bool:
        v = facts.get(field)
        if v is None:
            return False
        try:
            return bool(compare(v))
        except TypeError:
            return False
    return test
