"""`sxp rules check`: a rules file's mistakes, each with where it is and what is wrong.

Beyond what loading refuses (bad JSON, an unknown op or key, a rule setting an unknown label),
it finds what would load and quietly do the wrong thing:
- a condition on a field that is no fact (a typo: the rule would never match), or on a label
  that is decided only after the label the rule sets (not a fact yet);
- an ordering op (gt, gte, lt, lte) compared with something that is not a number;
- an unreachable rule: for every label it sets, an earlier rule (first_match) or one of at least
  its priority (priority mode) with the same condition, or one that always matches, wins first;
- a condition that can never match (`all` of two `eq` on one field with different values);
- a gate that lists an execution label no rule or default produces.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass

import orjson
from pydantic import ValidationError

from sxp.domain.rules import Condition, Rule, Ruleset, parse_ruleset


@dataclass(frozen=True)
class Finding:
    where: str  # a path into the file: "rules[3] (persona.realtor) when.all[0]"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def check_rules(raw: bytes, facts: Collection[str]) -> tuple[Ruleset | None, list[Finding]]:
    """The ruleset (None when it does not load) and every finding; none: the file is fine."""
    try:
        orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return None, [Finding("file", f"not JSON: {exc}")]
    try:
        ruleset = parse_ruleset(raw)
    except ValidationError as exc:
        return None, [Finding(_loc(error["loc"]), error["msg"]) for error in exc.errors()]
    findings = [*_field_findings(ruleset, facts), *_unreachable(ruleset), *_gate(ruleset)]
    return ruleset, findings


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "file"


def _rule_where(index: int, rule: Rule) -> str:
    return f"rules[{index}] ({rule.id})"


def _leaves(cond: Condition, path: str) -> Iterator[tuple[str, Condition]]:
    if cond.all is not None:
        for i, c in enumerate(cond.all):
            yield from _leaves(c, f"{path}.all[{i}]")
    elif cond.any is not None:
        for i, c in enumerate(cond.any):
            yield from _leaves(c, f"{path}.any[{i}]")
    elif cond.not_ is not None:
        yield from _leaves(cond.not_, f"{path}.not")
    else:
        yield path, cond


def _field_findings(ruleset: Ruleset, facts: Collection[str]) -> Iterator[Finding]:
    order = {spec.name: n for n, spec in enumerate(ruleset.labels)}
    for index, rule in enumerate(ruleset.rules):
        where = _rule_where(index, rule)
        if not rule.set:
            yield Finding(where, "sets no label")
        first_set = min((order[name] for name in rule.set), default=len(order))
        for path, leaf in _leaves(rule.when, "when"):
            field = leaf.field or ""
            if field in order:
                if order[field] >= first_set:
                    decided = ruleset.labels[first_set].name
                    yield Finding(f"{where} {path}", f"label '{field}' is decided after"
                                  f" '{decided}', which this rule sets: not a fact yet")
            elif field not in facts:
                yield Finding(f"{where} {path}", f"unknown field '{field}' (facts: "
                              f"{', '.join(sorted(facts))}; or a label decided before)")
            if leaf.op in ("gt", "gte", "lt", "lte") and (
                    isinstance(leaf.value, bool) or not isinstance(leaf.value, int | float)):
                yield Finding(f"{where} {path}", f"op {leaf.op} needs a number, not"
                              f" {leaf.value!r}")
        if _never(rule.when):
            yield Finding(f"{where} when", "can never match (one field equal to two values)")


def _always(cond: Condition) -> bool:
    if cond.all is not None:
        return all(_always(c) for c in cond.all)
    if cond.any is not None:
        return any(_always(c) for c in cond.any)
    return False


def _never(cond: Condition) -> bool:
    if cond.all is None:
        return False
    wanted: dict[str, object] = {}
    for c in cond.all:
        if c.op == "eq" and c.field is not None:
            key = orjson.dumps(c.value).decode()
            if wanted.setdefault(c.field, key) != key:
                return True
        if _never(c):
            return True
    return False


def _unreachable(ruleset: Ruleset) -> Iterator[Finding]:
    modes = {spec.name: spec.mode for spec in ruleset.labels}
    for index, rule in enumerate(ruleset.rules):
        if rule.set and all(_shadowed(ruleset, index, rule, name, modes[name])
                            for name in rule.set):
            yield Finding(_rule_where(index, rule), "unreachable: for each label it sets, a rule"
                          " with the same (or an always true) condition wins first")


def _shadowed(ruleset: Ruleset, index: int, rule: Rule, label: str, mode: str) -> bool:
    for other_index, other in enumerate(ruleset.rules):
        if other_index == index or label not in other.set:
            continue
        same = other.when == rule.when or _always(other.when)
        if mode == "first_match":
            if other_index < index and same:
                return True
        elif same and (other.priority > rule.priority or
                       (other.priority == rule.priority and other_index < index)):
            return True
    return False


def _gate(ruleset: Ruleset) -> Iterator[Finding]:
    produced = {value for rule in ruleset.rules for name, value in rule.set.items()
                if name == "execution_label"}
    produced |= {spec.default for spec in ruleset.labels
                 if spec.name == "execution_label" and spec.default}
    for i, value in enumerate(ruleset.gate.enrichable_labels):
        if value not in produced:
            yield Finding(f"gate.enrichable_labels[{i}]", f"'{value}' is an execution label no"
                          " rule or default produces")
