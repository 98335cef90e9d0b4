"""A small labeling rules engine over card and profile facts, read from a versioned JSON file.

Shape of a ruleset (see `sxp/rules/v1.json`, documented in docs/rules.md):

    {"version": "2026.11-v1",
     "labels": [{"name": "persona", "mode": "first_match", "default": "general_audience"}, ...],
     "rules": [{"id": "persona.realtor", "priority": 0,
                "when": {"all": [{"field": "bio", "op": "contains_any", "value": ["realtor"]}]},
                "set": {"persona": "real_estate_agent", "tribe": "real_estate"}}, ...],
     "gate": {"enrichable_labels": ["enrich_now", "enrich_later"],
              "min_readiness_score": 0.35, "min_base_confidence": 0.5}}

Labels are decided one after another in the order of `labels`; a decided label becomes a fact
the next labels' rules can test (`{"field": "persona", "op": "in", ...}`). For one label the
candidates are the rules that set it and match: `first_match` takes the first in file order,
`priority` the highest `priority` (file order breaks ties); no match gives the default.
`rules_fired` lists, in order, the ids of the rules whose labels were applied.

Conditions: `{"all": [...]}`, `{"any": [...]}`, `{"not": cond}` or a leaf
`{"field", "op", "value"}` with op one of eq, ne, in, not_in, gt, gte, lt, lte, exists,
contains_any (case-insensitive whole-word keyword match on a text field; any run of
whitespace matches a space in a keyword).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Op = Literal["eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "exists", "contains_any"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Strict):
    field: str | None = None
    op: Op | None = None
    value: Any = None
    all: list[Condition] | None = None
    any: list[Condition] | None = None
    not_: Condition | None = Field(None, alias="not")

    @model_validator(mode="after")
    def _one_form(self) -> Condition:
        forms = [self.op is not None, self.all is not None, self.any is not None,
                 self.not_ is not None]
        if sum(forms) != 1:
            raise ValueError("a condition is exactly one of: leaf (field/op), all, any, not")
        if self.op is not None and not self.field:
            raise ValueError("a leaf condition needs a field")
        if self.op in ("in", "not_in", "contains_any") and not isinstance(self.value, list):
            raise ValueError(f"op {self.op} needs a list value")
        return self


class Rule(_Strict):
    id: str
    when: Condition
    set: dict[str, str]
    priority: int = 0
    description: str | None = None


class LabelSpec(_Strict):
    name: str
    mode: Literal["first_match", "priority"] = "first_match"
    default: str | None = None


class GatePolicy(_Strict):
    enrichable_labels: list[str]
    min_readiness_score: float = 0.0
    min_base_confidence: float = 0.0
    require_current_labels: bool = True


class ReenrichPolicy(_Strict):
    """Whether a card already enriched (or not found) is looked up again when its profile
    changes: only when its enrichment inputs changed and its last lookup is older than
    `min_age_days`. Otherwise its stored answer stands, and nothing is charged."""

    on_input_change: bool = True
    min_age_days: float = Field(30.0, ge=0)


class DncPolicy(_Strict):
    """Do-not-call statuses go stale: phones checked more than `max_age_days` ago are handed
    over flagged `dnc_stale`, and with `recheck` the gate looks such cards up again (TCPA: a
    DNC check no older than 31 days before a call)."""

    max_age_days: float = Field(31.0, gt=0)
    recheck: bool = True


class Ruleset(_Strict):
    version: str = Field(min_length=1)
    description: str | None = None
    labels: list[LabelSpec]
    rules: list[Rule]
    gate: GatePolicy
    reenrich: ReenrichPolicy = ReenrichPolicy()
    dnc: DncPolicy = DncPolicy()
    checksum: str = ""

    @field_validator("rules")
    @classmethod
    def _unique_ids(cls, rules: list[Rule]) -> list[Rule]:
        ids = [r.id for r in rules]
        if len(ids) != len(set(ids)):
            raise ValueError("rule ids must be unique")
        return rules

    @model_validator(mode="after")
    def _known_labels(self) -> Ruleset:
        names = {spec.name for spec in self.labels}
        for rule in self.rules:
            unknown = set(rule.set) - names
            if unknown:
                raise ValueError(f"rule {rule.id} sets unknown labels {sorted(unknown)}")
        return self


def parse_ruleset(raw: bytes) -> Ruleset:
    """Validate a rules file's bytes; the checksum (sha256) identifies the exact content."""
    ruleset = Ruleset.model_validate_json(raw)
    return ruleset.model_copy(update={"checksum": hashlib.sha256(raw).hexdigest()})


@dataclass(frozen=True)
class Labeling:
    labels: dict[str, str | None]
    rules_fired: list[str]


def label(ruleset: Ruleset, facts: dict[str, Any]) -> Labeling:
    """Decide every label of the ruleset for one card's facts."""
    known = dict(facts)
    labels: dict[str, str | None] = {}
    fired: list[str] = []
    for spec in ruleset.labels:
        winner: Rule | None = None
        for rule in ruleset.rules:
            if spec.name not in rule.set:
                continue
            if spec.mode == "first_match" and winner is not None:
                break
            if winner is not None and rule.priority <= winner.priority:
                continue
            if matches(rule.when, known):
                winner = rule
        value = winner.set[spec.name] if winner else spec.default
        labels[spec.name] = value
        known[spec.name] = value
        if winner is not None and winner.id not in fired:
            fired.append(winner.id)
    return Labeling(labels=labels, rules_fired=fired)


def matches(cond: Condition, facts: dict[str, Any]) -> bool:
    if cond.all is not None:
        return all(matches(c, facts) for c in cond.all)
    if cond.any is not None:
        return any(matches(c, facts) for c in cond.any)
    if cond.not_ is not None:
        return not matches(cond.not_, facts)
    assert cond.field is not None and cond.op is not None
    return _leaf(cond.op, facts.get(cond.field), cond.value)


def _leaf(op: str, actual: Any, expected: Any) -> bool:  # noqa: C901 - one branch per op
    if op == "exists":
        present = actual is not None and actual != "" and actual != []
        return present if expected is None or expected is True else not present
    if actual is None:
        return op in ("ne", "not_in")
    if op == "eq":
        return bool(actual == expected)
    if op == "ne":
        return bool(actual != expected)
    if op == "in":
        return actual in expected
    if op == "not_in":
        return actual not in expected
    if op == "contains_any":
        return keyword_pattern(tuple(expected)).search(str(actual)) is not None
    try:
        if op == "gt":
            return bool(actual > expected)
        if op == "gte":
            return bool(actual >= expected)
        if op == "lt":
            return bool(actual < expected)
        if op == "lte":
            return bool(actual <= expected)
    except TypeError:
        return False
    raise ValueError(f"unknown op {op}")


@lru_cache(maxsize=512)
def keyword_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(r"\s+".join(re.escape(part) for part in w.casefold().split())
                            for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
