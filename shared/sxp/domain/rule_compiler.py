"""The rules file compiled once into one Python function: the labels `rules.label` gives, faster.

`sxp.domain.rules.label` is the reference and stays the tests' oracle. This writes the ruleset
out as the source of one function and compiles it (`compile`/`exec`), so a card costs a few
local comparisons instead of a walk over the models or a call per condition:

- each fact a rule reads is fetched from the card's facts once, into a local;
- each label becomes an `if`/`elif` chain over its candidate rules, in the order that decides
  (file order for `first_match`; highest priority first, file order breaking ties, for
  `priority`): the first match is the winner either way;
- a rule that sets several labels is tested once per card (its answer kept in a local, tested
  when first needed) unless it reads a label, whose value can change from one label to the
  next; a rule that reads labels is tested where it stands, reading those decided before it;
- every value from the rules file (field names, labels, ids, lists, keyword patterns) is a
  constant of the function's namespace, named by the compiler: no text of the file ever
  becomes source.

A keyword test (`contains_any`) of ASCII keywords on an ASCII text searches the text lowered
with the same pattern matching case: the same answer (for ASCII characters, ignoring case is
matching the lowered letter, and lowering changes no character's class or the length), at half
the cost of the case-ignoring search; and only when the lowered text holds the first part of
one of the keywords (a substring test), as every match does. The text is lowered once per
card, for all its tests.

A comparison (`gt`, `gte`, `lt`, `lte`) whose operands cannot be compared is false, as in the
reference: inline when the fact is a plain int or float and the value a number, else through
`_compare`, which catches the TypeError.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any

from sxp.domain.rules import Condition, Labeling, Ruleset, keyword_pattern

Facts = dict[str, Any]
Labeler = Callable[[Facts], Labeling]
_COMPARISONS: dict[str, tuple[str, Callable[[Any, Any], Any]]] = {
    "gt": (">", operator.gt), "gte": (">=", operator.ge),
    "lt": ("<", operator.lt), "lte": ("<=", operator.le),
}
_PLAIN_NUMBERS = frozenset({int, float})


def compile_ruleset(ruleset: Ruleset) -> Labeler:
    """A function from one card's facts to its labels, as `rules.label(ruleset, facts)`."""
    writer = _LabelerWriter(ruleset)
    code = compile(writer.source(), f"<rules {len(ruleset.rules)} compiled>", "exec")
    namespace: dict[str, Any] = {"Labeling": Labeling, "_compare": _compare,
                                 "_PLAIN_NUMBERS": _PLAIN_NUMBERS, **writer.constants}
    exec(code, namespace)  # noqa: S102 - source written by _LabelerWriter, values as constants
    labeler: Labeler = namespace["labeler"]
    return labeler


def fields_of(cond: Condition) -> set[str]:
    """Every fact the condition reads."""
    parts = cond.all or cond.any or ([cond.not_] if cond.not_ is not None else [])
    return {cond.field} if cond.field is not None else set().union(*map(fields_of, parts))


def _compare(op: Callable[[Any, Any], Any], actual: Any, expected: Any) -> bool:
    try:
        return bool(op(actual, expected))
    except TypeError:
        return False


class _LabelerWriter:
    """The source of `labeler(facts)` for one ruleset, and the constants it names."""

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self.constants: dict[str, Any] = {}
        self._names: dict[int, str] = {}  # id(value) of a constant -> its name
        self._fields: dict[str, str] = {}  # fact name -> its local
        self._lowered: set[str] = set()  # locals whose text is also kept lowered (ASCII only)
        label_names = [spec.name for spec in ruleset.labels]
        # a rule's answer is kept when it decides more than one label and reads none
        self._kept = [len(set(rule.set)) > 1 and not fields_of(rule.when) & set(label_names)
                      for rule in ruleset.rules]

    def constant(self, value: Any) -> str:
        name = self._names.get(id(value))
        if name is None:
            name = self._names[id(value)] = f"c{len(self.constants)}"
            self.constants[name] = value
        return name

    def field(self, name: str, decided: dict[str, str]) -> str:
        """The local holding fact `name` where the labels in `decided` are known."""
        if name in decided:
            return decided[name]
        local = self._fields.get(name)
        if local is None:
            local = self._fields[name] = f"f{len(self._fields)}"
        return local

    def source(self) -> str:
        body: list[str] = []
        decided: dict[str, str] = {}  # label name -> the local of its latest decision
        for index, spec in enumerate(self.ruleset.labels):
            local = f"l{index}"
            body.extend(self._label_chain(spec.name, spec.mode, spec.default, local, decided))
            decided[spec.name] = local
        memo = [f"t{i}" for i, kept in enumerate(self._kept) if kept]
        head = ["def labeler(facts):", "    get = facts.get", "    fired = []"]
        for name, local in self._fields.items():
            head.append(f"    {local} = get({self.constant(name)})")
            if local in self._lowered:
                head += [f"    {local}s = None if {local} is None else str({local})",
                         f"    {local}l = {local}s.lower() if {local}s is not None"
                         f" and {local}s.isascii() else None"]
        head += [f"    {name} = None" for name in memo]
        labels = ", ".join(f"{self.constant(spec.name)}: {decided[spec.name]}"
                           for spec in self.ruleset.labels)
        tail = [f"    return Labeling(labels={{{labels}}}, rules_fired=fired)"]
        return "\n".join(head + body + tail) + "\n"

    def _label_chain(self, name: str, mode: str, default: str | None, local: str,
                     decided: dict[str, str]) -> list[str]:
        candidates = [(index, rule) for index, rule in enumerate(self.ruleset.rules)
                      if name in rule.set]
        if mode == "priority":
            candidates.sort(key=lambda item: (-item[1].priority, item[0]))
        lines = []
        for position, (index, rule) in enumerate(candidates):
            test = self._condition(rule.when, decided)
            if self._kept[index]:
                test = f"(t{index} if t{index} is not None else (t{index} := not not {test}))"
            rule_id = self.constant(rule.id)
            lines += [f"    {'if' if position == 0 else 'elif'} {test}:",
                      f"        {local} = {self.constant(rule.set[name])}",
                      f"        if {rule_id} not in fired:",
                      f"            fired.append({rule_id})"]
        fallback = f"{local} = {self.constant(default)}"
        lines += ["    else:", f"        {fallback}"] if lines else [f"    {fallback}"]
        return lines

    def _condition(self, cond: Condition, decided: dict[str, str]) -> str:
        if cond.all is not None:
            parts = [self._condition(c, decided) for c in cond.all]
            return f"({' and '.join(parts)})" if parts else "True"
        if cond.any is not None:
            parts = [self._condition(c, decided) for c in cond.any]
            return f"({' or '.join(parts)})" if parts else "False"
        if cond.not_ is not None:
            return f"(not {self._condition(cond.not_, decided)})"
        assert cond.field is not None and cond.op is not None
        return self._leaf(cond.op, self.field(cond.field, decided), cond.value)

    def _leaf(self, op: str, v: str, expected: Any) -> str:
        if op == "exists":
            present = f"({v} is not None and {v} != '' and {v} != [])"
            return present if expected is None or expected is True else f"(not {present})"
        if op == "contains_any":
            return self._keywords(v, tuple(expected))
        if op in ("in", "not_in"):
            values = self.constant(tuple(expected))
            if op == "in":
                return f"({v} is not None and {v} in {values})"
            return f"({v} is None or {v} not in {values})"
        if op == "eq":
            return f"({v} is not None and {v} == {self.constant(expected)})"
        if op == "ne":
            return f"({v} is None or {v} != {self.constant(expected)})"
        if op not in _COMPARISONS:
            raise ValueError(f"unknown op {op}")
        symbol, function = _COMPARISONS[op]
        value = self.constant(expected)
        checked = f"_compare({self.constant(function)}, {v}, {value})"
        if type(expected) in _PLAIN_NUMBERS:
            checked = f"({v} {symbol} {value} if {v}.__class__ in _PLAIN_NUMBERS else {checked})"
        return f"({v} is not None and {checked})"

    def _keywords(self, v: str, words: tuple[str, ...]) -> str:
        pattern = keyword_pattern(words)
        search = self.constant(pattern.search)
        read_once = v in self._fields.values()  # a fact read at the top, not a label's local
        if not read_once or not all(word.isascii() for word in words):
            return f"({v} is not None and {search}(str({v})) is not None)"
        self._lowered.add(v)
        matching_case = f"{self.constant(re.compile(pattern.pattern).search)}({v}l) is not None"
        firsts = _first_parts(words)
        if firsts:  # the pattern matches only where some keyword's first part is
            present = " or ".join(f"{self.constant(part)} in {v}l" for part in firsts)
            matching_case = f"(({present}) and {matching_case})"
        return (f"({v}s is not None and ({matching_case} if {v}l is not None"
                f" else {search}({v}s) is not None))")


def _first_parts(words: tuple[str, ...]) -> list[str]:
    """The first part of each keyword as `keyword_pattern` matches it (casefolded), without
    those holding another (where the longer is, the shorter is): a text in which none is found
    cannot match. Empty when a keyword has no part (its pattern needs no text at all)."""
    parts = [word.casefold().split() for word in words]
    if not all(parts):
        return []
    firsts = sorted({p[0] for p in parts}, key=len)
    kept: list[str] = []
    for part in firsts:
        if not any(shorter in part for shorter in kept):
            kept.append(part)
    return kept
